/**
 * Types of the npm package's library API (npm/esm/mod.js, built from mod.ts).
 * Hand-written: the build has no TypeScript declaration emitter (tsc is not a
 * dependency). tests/package/npm_types_test.ts checks with `deno check` that
 * every export of mod.ts is declared here and that the types agree, so a
 * change to mod.ts or to a signature it re-exports must be mirrored here.
 * Documentation lives with the sources; see the project's README.
 */

// ---- Capture files ----------------------------------------------------------

/** Pull bytes; `null` at end of input. */
export interface ByteReader {
  read(into: Uint8Array): Promise<number | null>;
}

/** Push bytes; may write fewer than given. */
export interface ByteWriter {
  write(bytes: Uint8Array): Promise<number>;
}

export type CaptureFormat = "pcap" | "pcapng";

export interface CaptureReaderOptions {
  /** Initial refill buffer size in bytes (default 512 KiB). */
  readonly bufferSize?: number;
  /**
   * The refill buffer to use instead of a new one (bufferSize is then its
   * length). A record larger than it moves to a new, larger buffer.
   */
  readonly buffer?: Uint8Array;
  /** Most packets in one batch (default 8192). */
  readonly batchSize?: number;
}

/**
 * Packets as parallel arrays over one byte buffer. A batch is valid only
 * until the next call that refills it; copy what must outlive that (`copyPacket`).
 */
export interface PacketBatch {
  count: number;
  bytes: Uint8Array;
  readonly offset: Uint32Array;
  readonly caplen: Uint32Array;
  readonly wirelen: Uint32Array;
  readonly sec: Float64Array;
  readonly nsec: Uint32Array;
  readonly linkType: Uint16Array;
}

/** One packet detached from any buffer. */
export interface Packet {
  readonly data: Uint8Array;
  readonly wirelen: number;
  readonly sec: number;
  readonly nsec: number;
  readonly linkType: number;
}

/** Reads classic pcap (µs/ns, both byte orders) and pcapng, streaming. */
export declare class CaptureReader {
  private constructor(name: string, source: ByteReader, options: CaptureReaderOptions);
  readonly name: string;
  /** Reads the file header from `source`; throws CaptureError when it is not a capture. */
  static open(
    source: ByteReader,
    name: string,
    options?: CaptureReaderOptions,
  ): Promise<CaptureReader>;
  get format(): CaptureFormat;
  get pcapLayout(): { readonly littleEndian: boolean; readonly nanosecond: boolean } | undefined;
  get linkType(): number;
  get snaplen(): number;
  get position(): number;
  get truncation(): string | undefined;
  /** The next batch, or null at the end; valid until the next call. */
  next(): Promise<PacketBatch | null>;
}

/** A capture file fmagent cannot read: not a capture, or corrupt at `offset`. */
export declare class CaptureError extends Error {
  constructor(file: string, offset: number | undefined, detail: string);
  readonly file: string;
  readonly offset: number | undefined;
  readonly detail: string;
  name: string;
  readonly exitCode: 2;
}

export interface OpenCapture {
  readonly reader: CaptureReader;
  /** Closes the file (not stdin). */
  close(): void;
}

/** Opens a capture file, or `stdin` when `path` is "-". */
export declare function openCaptureFile(
  path: string,
  stdin: ByteReader,
  options?: CaptureReaderOptions,
): Promise<OpenCapture>;

export type TimestampPrecision = "nano" | "micro";

export interface PcapWriterOptions {
  readonly linkType: number;
  /** Largest caplen written; longer packets are cut (default 262144). */
  readonly snaplen?: number;
  /** Timestamp unit of the output (default "nano"). */
  readonly precision?: TimestampPrecision;
  /** Output buffer size in bytes (default 1 MiB). */
  readonly bufferSize?: number;
}

/** Writes classic pcap; the file header is written when it is made. */
export declare class PcapWriter {
  constructor(sink: ByteWriter, options: PcapWriterOptions);
  readonly snaplen: number;
  readonly linkType: number;
  packets: number;
  bytes: number;
  get room(): number;
  get buffered(): number;
  append(
    bytes: Uint8Array,
    offset: number,
    caplen: number,
    wirelen: number,
    sec: number,
    nsec: number,
  ): void;
  appendFromBatch(batch: PacketBatch, i: number): Promise<void>;
  writeRecords(
    bytes: Uint8Array,
    start: number,
    end: number,
    count: number,
    nanosecondInput: boolean,
  ): Promise<void>;
  flush(): Promise<void>;
}

export declare function copyPacket(batch: PacketBatch, i: number): Packet;
export declare function newPacketBatch(capacity: number, bytes?: Uint8Array): PacketBatch;

export interface FollowOptions {
  readonly minPollMs?: number;
  readonly maxPollMs?: number;
}

/** A ByteReader over a growing file: waits at its end until `signal` aborts. */
export declare function followFile(
  file: ByteReader,
  signal: AbortSignal,
  options?: FollowOptions,
): ByteReader;
/** A ByteReader over bytes in memory. */
export declare function bytesReader(data: Uint8Array): ByteReader;

export declare function epochNsHigh(sec: number, nsec: number): number;
export declare function epochNsLow(sec: number, nsec: number): number;
export declare function formatEpoch(sec: number, nsec: number, digits?: 6 | 9): string;
export declare function nanosOfEpochNs(lo: number, hi: number): number;
export declare function secondsOfEpochNs(lo: number, hi: number): number;

export declare const LINKTYPE_ETHERNET: 1;
export declare const MAX_SNAPLEN: 262144;

// ---- Filters -----------------------------------------------------------------

export interface RawInstruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}
export type RawProgram = readonly RawInstruction[];
/** Returns the snap length to keep, 0 to reject the packet. */
export type PacketMatcher = (
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
) => number;

export interface CompileOptions {
  readonly linkType?: number;
  readonly snaplen?: number;
  readonly netmask?: number;
  readonly optimize?: boolean;
  readonly exactGencode?: boolean;
  readonly witnessShortcut?: boolean;
}
export interface CompiledFilter {
  readonly program: RawProgram;
  readonly match: PacketMatcher;
}
/** Compiles a tcpdump filter expression to classic BPF and a JIT-compiled matcher. */
export declare function compileFilter(expression: string, options?: CompileOptions): CompiledFilter;
/** Compiles a tcpdump filter expression to classic BPF. */
export declare function compileProgram(expression: string, options?: CompileOptions): RawProgram;

export declare class FilterSyntaxError extends SyntaxError {
  readonly exitCode: 2;
  readonly reason: string;
  readonly expression: string;
  readonly offset: number;
  constructor(reason: string, expression: string, offset: number);
}
export declare class FilterRangeError extends RangeError {
  readonly exitCode: 2;
  constructor(reason: string);
}
export declare class FilterSemanticError extends Error {
  readonly exitCode: 2;
  constructor(reason: string);
}

/** Runs `program` on one packet with libpcap's semantics. */
export declare function interpret(
  program: RawProgram,
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
): number;
/** Turns `program` into a JavaScript function. */
export declare function jitCompile(program: RawProgram): PacketMatcher;
export type DumpLevel = 1 | 2 | 3;
/** The program as `tcpdump -d` (1), `-dd` (2) or `-ddd` (3) prints it. */
export declare function dumpProgram(program: RawProgram, level: DumpLevel): string;
/** Reads a program in `-ddd` (or `-dd`) format. */
export declare function parseProgramText(text: string, name?: string): RawProgram;
export interface OptimizeOptions {
  readonly strict?: boolean;
}
export declare function optimizeProgram(program: RawProgram, options?: OptimizeOptions): RawProgram;
export declare function validateProgram(program: RawProgram, name?: string): void;

// ---- Printing ---------------------------------------------------------------

/** One tcpdump -nn style line for a packet. */
export declare function formatPacketLine(
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
  sec: number,
  nsec: number,
  linkType: number,
): string;
/** The demo's sample capture (a fresh copy per call). */
export declare function sampleCapture(): Uint8Array;

// ---- CLI core ---------------------------------------------------------------

export interface Io {
  readonly stdin: ByteReader;
  readonly stdout: ByteWriter;
  readonly stderr: ByteWriter;
  readonly signal: AbortSignal;
  readonly stderrIsTerminal: boolean;
}

/** Runs fmagent with `args` (without the program name) and returns the exit status. */
export declare function main(args: readonly string[], io: Io): Promise<number>;
export declare const VERSION: string;

/**
 * An FMAD ring file mapped into memory: the lifecycle resource (open or
 * create, validate, map, close) and the counter accessors the producer and
 * consumer loops share. The bytes are the file itself, shared with the other
 * side; nothing is copied.
 */
import type { RingMapping, RingMemory } from "../../ffi/ring_memory.ts";
import { RingOsError } from "../../ffi/ring_memory.ts";
import { ringMemory as defaultRingMemory } from "../../ffi/ring_memory.deno.ts";
import {
  fileSizeProblem,
  FLAG_EOF,
  GET_INDEX,
  GET_PAGE,
  HEADER,
  headerProblem,
  HOST_LITTLE_ENDIAN,
  PUT_INDEX,
  PUT_PAGE,
  readHeader,
  readU64,
  RING_FILE_SIZE,
  type RingHeader,
  SLOT,
  slotOffset,
  writeFreshHeader,
  writeU64,
} from "./layout.ts";
import { RingError, ringOpenError } from "./ring_error.ts";
import { CAPTURE_READ_BUFFER } from "../pcap/capture_reader.ts";

/** How a producer opens a ring. */
export interface ProducerOpenOptions {
  /** Re-initialise even a valid ring (drops unread packets). */
  readonly reset?: boolean;
  /** Mode of a ring file created here, before the umask (default 0o666). */
  readonly mode?: number;
  /** Written into a ring created here: IsTxFlowControl (default true). */
  readonly flowControl?: boolean;
  /** Written into a ring created here: TxTimeout in ns (default 30e9). */
  readonly txTimeoutNs?: number;
  /** Receives warnings and notices (a replaced file, leftovers), one line each. */
  readonly onNotice?: (message: string) => void;
}

/** What a producer found when it opened the ring. */
export interface ProducerOpenReport {
  /** The file was created or re-initialised here. */
  readonly initialised: boolean;
  /** Unread packets of an earlier session still queued (0 if none). */
  readonly leftovers: number;
  /** The newest leftover was an end-of-stream mark, cleared so consumers continue. */
  readonly clearedEndOfStream: boolean;
}

/** A closed ring's unmap: nothing left to do. */
const unmapped = (): void => {};

export class Ring {
  /** The whole mapped file. Valid until close(). */
  readonly bytes: Uint8Array;
  /**
   * The producer's read buffer, in the same ArrayBuffer right after the file
   * (RingMemory.mapRingFile's scratch); empty when the ring has none.
   */
  readonly scratch: Uint8Array;
  /**
   * The file and the scratch after it, one array with `bytes`' indexes: the
   * producer copies a packet from the scratch into its slot with this array's
   * `copyWithin`.
   */
  readonly span: Uint8Array;
  /** DataView over the whole mapped file. Valid until close(). */
  readonly view: DataView;
  /** The whole mapped file as host-endian 32-bit words (little-endian hosts only). Valid until close(). */
  readonly words: Uint32Array;
  /** Put and Get are stored through this with Atomics when their high half changes. */
  readonly #counters: BigInt64Array;
  /** Put and Get as 32-bit halves, loaded and (mostly) stored with Atomics without a BigInt. */
  readonly #counterWords: Int32Array;
  readonly depth: number;
  readonly mask: number;
  /**
   * Unmaps the file. A function in both states and for every kind of mapping
   * (a mapped file, a scratch buffer): the field's type never changes, so code
   * V8 compiled for one Ring stays valid for the next.
   */
  #unmap: () => void;

  private constructor(readonly path: string, mapping: RingMapping, readonly writable: boolean) {
    this.#unmap = () => mapping.close();
    this.bytes = new Uint8Array(mapping.buffer, 0, RING_FILE_SIZE);
    this.scratch = new Uint8Array(mapping.buffer, RING_FILE_SIZE);
    this.span = new Uint8Array(mapping.buffer);
    this.view = new DataView(mapping.buffer);
    this.words = new Uint32Array(mapping.buffer, 0, RING_FILE_SIZE / 4);
    this.#counters = new BigInt64Array(mapping.buffer, 0, RING_FILE_SIZE / 8);
    this.#counterWords = new Int32Array(mapping.buffer, 0, RING_FILE_SIZE / 4);
    this.depth = readU64(this.view, HEADER.depth.offset);
    this.mask = readU64(this.view, HEADER.mask.offset);
  }

  /**
   * Opens an existing, valid ring. `writable` is needed by a consumer (it
   * stores Get); `stat` maps read-only. Throws RingError with one line.
   */
  static open(path: string, options: { writable: boolean }, memory = defaultRingMemory): Ring {
    checkHost();
    checkFile(path, memory);
    const mapping = mapFile(path, options.writable, memory);
    const problem = headerProblem(readHeader(new DataView(mapping.buffer)));
    if (problem !== undefined) {
      mapping.close();
      throw ringOpenError(path, problem);
    }
    return new Ring(path, mapping, options.writable);
  }

  /**
   * Opens a ring for producing, as the C tools do: creates the file when it
   * is missing or has the wrong size, initialises it when its version is not
   * 0x100 (or on `reset`), and otherwise keeps it as it is, with any unread
   * packets of an earlier session queued ahead of the new ones.
   */
  static openForProducer(
    path: string,
    options: ProducerOpenOptions = {},
    memory = defaultRingMemory,
  ): { ring: Ring; report: ProducerOpenReport } {
    checkHost();
    const notice = options.onNotice ?? (() => {});
    const info = memory.statRingFile(path);
    if (info.kind === "directory") throw ringOpenError(path, "is a directory");
    if (info.kind === "other") throw ringOpenError(path, "not a regular file");
    let initialise = options.reset === true;
    if (info.kind === "missing" || info.size !== RING_FILE_SIZE) {
      if (info.kind === "file") {
        notice(`warning: replacing ${path} (${fileSizeProblem(info.size)}) with a new ring`);
      }
      try {
        memory.createRingFile(path, RING_FILE_SIZE, options.mode ?? 0o666);
      } catch (error) {
        throw ringOpenError(path, reasonOf(error), error);
      }
      initialise = true;
    }
    const mapping = mapFile(path, true, memory, PRODUCER_SCRATCH_BYTES);
    const view = new DataView(mapping.buffer);
    const header = readHeader(view);
    if (!initialise && header.version !== 0x100) {
      if (header.version !== 0) {
        notice(
          `warning: ring ${path} has version 0x${header.version.toString(16)}; re-initialising it`,
        );
      }
      initialise = true;
    }
    if (initialise) {
      writeFreshHeader(view, {
        path,
        flowControl: options.flowControl ?? true,
        txTimeoutNs: options.txTimeoutNs ?? 30e9,
      });
      return { ring: new Ring(path, mapping, true), report: noLeftovers(true) };
    }
    const problem = headerProblem(header);
    if (problem !== undefined) {
      mapping.close();
      throw ringOpenError(path, `${problem}; use --reset to re-initialise it`);
    }
    const ring = new Ring(path, mapping, true);
    try {
      return { ring, report: ring.#adoptLeftovers(notice) };
    } catch (error) {
      ring.close();
      throw error;
    }
  }

  /** Applies the leftover rule (see ProducerOpenReport) and says what it found. */
  #adoptLeftovers(notice: (message: string) => void): ProducerOpenReport {
    const put = this.loadPut();
    const get = this.loadGet();
    if (put < get) {
      throw ringOpenError(
        this.path,
        `Get (${get}) is ahead of Put (${put}), the counters are inconsistent; use --reset`,
      );
    }
    const leftovers = put - get;
    if (leftovers === 0) return noLeftovers(false);
    const last = this.slotStart(put - 1);
    const flagAt = last + SLOT.flag.offset;
    const flag = this.view.getUint8(flagAt);
    const clearedEndOfStream = (flag & FLAG_EOF) !== 0;
    if (clearedEndOfStream) this.view.setUint8(flagAt, flag & ~FLAG_EOF);
    const packets = clearedEndOfStream ? leftovers - 1 : leftovers;
    notice(
      `ring ${this.path} holds ${packets} unread packet${packets === 1 ? "" : "s"} of an earlier ` +
        `session; they stay queued ahead of this session's` +
        (clearedEndOfStream ? " (its end-of-stream mark was cleared)" : "") +
        ` (use --reset to drop them)`,
    );
    return { initialised: false, leftovers: packets, clearedEndOfStream };
  }

  header(): RingHeader {
    return readHeader(this.view);
  }

  /** Put, with acquire ordering: slots before it are fully written. */
  loadPut(): number {
    return this.#loadCounter(PUT_INDEX);
  }

  /** Get, with acquire ordering: slots before it are free. */
  loadGet(): number {
    return this.#loadCounter(GET_INDEX);
  }

  /**
   * Publishes packets written up to `put` (release store after the payloads),
   * then the informational PutByte and PutPktTS.
   */
  publishPut(put: number, putByte: number, tsLow: number, tsHigh: number): void {
    this.#storeCounter(PUT_INDEX, put);
    writeU64(this.view, PUT_PAGE.putByte.offset, putByte);
    this.view.setUint32(PUT_PAGE.putPktTs.offset, tsLow, true);
    this.view.setUint32(PUT_PAGE.putPktTs.offset + 4, tsHigh, true);
  }

  /** Frees slots up to `get` (release store), then GetByte and GetPktTS. */
  publishGet(get: number, getByte: number, tsLow: number, tsHigh: number): void {
    this.#storeCounter(GET_INDEX, get);
    writeU64(this.view, GET_PAGE.getByte.offset, getByte);
    this.view.setUint32(GET_PAGE.getPktTs.offset, tsLow, true);
    this.view.setUint32(GET_PAGE.getPktTs.offset + 4, tsHigh, true);
  }

  /**
   * Loads the s64 counter at BigInt64Array index `index` as two 32-bit atomic
   * loads (no BigInt per call): the high half, the low half, and the high
   * half again, retrying in the rare case a carry into it happened between.
   */
  #loadCounter(index: number): number {
    const words = this.#counterWords;
    const low = index * 2;
    for (;;) {
      const high = Atomics.load(words, low + 1);
      const value = high * TWO_32 + (Atomics.load(words, low) >>> 0);
      if (Atomics.load(words, low + 1) === high) return value;
    }
  }

  /**
   * Stores the s64 counter at BigInt64Array index `index` (we are its only
   * writer). While its high half stays the same, one 32-bit atomic store of
   * the low half is the same release store as a 64-bit one (a reader's
   * aligned 64-bit load sees the old or the new value, never a mix); only a
   * carry into the high half takes the 64-bit BigInt store.
   */
  #storeCounter(index: number, value: number): void {
    const words = this.#counterWords;
    const low = index * 2;
    const high = Math.floor(value / TWO_32);
    if (high === words[low + 1]) Atomics.store(words, low, (value - high * TWO_32) | 0);
    else Atomics.store(this.#counters, index, BigInt(value));
  }

  putByte(): number {
    return readU64(this.view, PUT_PAGE.putByte.offset);
  }

  getByte(): number {
    return readU64(this.view, GET_PAGE.getByte.offset);
  }

  /** Sets the header's PendingB (bytes the producer still has to send). */
  setPendingBytes(bytes: number): void {
    writeU64(this.view, HEADER.pendingBytes.offset, Math.max(0, Math.floor(bytes)));
  }

  /** Byte offset in `bytes` of the slot counter `n` (unmasked) lands in. */
  slotStart(n: number): number {
    return slotOffset(n % this.depth);
  }

  /** Unmaps the file; the ring and every view into it are unusable afterwards. */
  close(): void {
    const unmap = this.#unmap;
    this.#unmap = unmapped;
    unmap();
  }
}

const TWO_32 = 4294967296;
/** A producer's scratch: the capture reader's refill buffer (CAPTURE_READ_BUFFER). */
const PRODUCER_SCRATCH_BYTES = CAPTURE_READ_BUFFER;

function noLeftovers(initialised: boolean): ProducerOpenReport {
  return { initialised, leftovers: 0, clearedEndOfStream: false };
}

function reasonOf(error: unknown): string {
  if (error instanceof RingOsError) return error.reason.toLowerCase();
  return error instanceof Error ? error.message : String(error);
}

/** The hot loops read the little-endian ring as host-endian words. */
function checkHost(): void {
  if (!HOST_LITTLE_ENDIAN) {
    throw new RingError(
      "Cannot use an FMAD ring on a big-endian host: fmagent supports little-endian hosts only",
      1,
    );
  }
}

function checkFile(path: string, memory: RingMemory): void {
  const info = memory.statRingFile(path);
  if (info.kind === "missing") {
    throw ringOpenError(path, "no such file (is the producer running, or is -i wrong?)");
  }
  if (info.kind === "directory") throw ringOpenError(path, "is a directory");
  if (info.kind === "other") throw ringOpenError(path, "not a regular file");
  const problem = fileSizeProblem(info.size);
  if (problem !== undefined) throw ringOpenError(path, problem);
}

function mapFile(
  path: string,
  writable: boolean,
  memory: RingMemory,
  scratchBytes = 0,
): RingMapping {
  try {
    return memory.mapRingFile(path, RING_FILE_SIZE, { writable, scratchBytes });
  } catch (error) {
    throw ringOpenError(path, reasonOf(error), error);
  }
}

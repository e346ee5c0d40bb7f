/**
 * Reads pcap or pcapng from any ByteReader in bounded memory: a refill
 * buffer (512 KiB, grown only for a record larger than it) around the pure
 * parsers, handing out PacketBatches that point into that buffer.
 */
import type { ByteReader } from "../cli/io.ts";
import { CaptureError } from "./capture_error.ts";
import { MAX_SNAPLEN } from "./link_type.ts";
import { newPacketBatch, type PacketBatch } from "./packet_batch.ts";
import { newParseProgress } from "./parse_progress.ts";
import {
  parsePcapFileHeader,
  PCAP_FILE_HEADER_LENGTH,
  type PcapFileHeader,
  pcapMagicKind,
} from "./pcap_format.ts";
import { parsePcapRecords } from "./pcap_records.ts";
import { type ReadSync, syncReadOf } from "./sync_io.ts";
import { BLOCK_SECTION_HEADER } from "./pcapng/block.ts";
import { newPcapngSection, parsePcapngBlocks, type PcapngSection } from "./pcapng/parse_blocks.ts";

export type CaptureFormat = "pcap" | "pcapng";

export interface CaptureReaderOptions {
  /** Initial refill buffer size in bytes (default 512 KiB). */
  readonly bufferSize?: number;
  /**
   * The refill buffer to use instead of a new one (bufferSize is then its
   * length): the ring producer passes the scratch next to its ring. A record
   * larger than it moves to a new, larger buffer.
   */
  readonly buffer?: Uint8Array;
  /** Most packets in one batch (default 8192). */
  readonly batchSize?: number;
}

/** The default refill buffer size: 512 KiB measured faster than 4 MiB on large copies (it stays in cache). */
export const CAPTURE_READ_BUFFER = 512 * 1024;
const DEFAULT_BATCH = 8192;
/**
 * One read in 64 (every 32 MiB of a regular file) goes through the event
 * loop so Ctrl-C is seen; each such turn idles ~0.4 ms, so not more often.
 */
const ASYNC_READ_EVERY_MASK = 63;
/**
 * Bytes at the end of the buffer never filled: a copy loop may then read whole
 * 16-byte blocks past the end of any packet (the ring producer does) without a
 * slower exact path for packets that end at the buffer's end.
 */
export const READ_SLACK = 16;

export class CaptureReader {
  #source: ByteReader;
  /** A blocking read of #source (sync_io.ts), for regular files. */
  #readSync: ReadSync | undefined;
  #syncReads = 0;
  #buffer: Uint8Array;
  #view: DataView;
  #start = 0;
  #end = 0;
  /** File offset of #buffer[0]. */
  #base = 0;
  #eof = false;
  #batch: PacketBatch;
  #progress = newParseProgress();
  #pcapHeader: PcapFileHeader | undefined;
  #section: PcapngSection | undefined;
  /** A batch read ahead by open() (pcapng: to learn the first interface). */
  #pending: PacketBatch | null | undefined;
  #truncation: string | undefined;

  private constructor(readonly name: string, source: ByteReader, options: CaptureReaderOptions) {
    this.#source = source;
    this.#readSync = syncReadOf(source);
    this.#buffer = options.buffer ?? new Uint8Array(options.bufferSize ?? CAPTURE_READ_BUFFER);
    // Indexes in the view are indexes in #buffer, which may start inside its ArrayBuffer.
    this.#view = new DataView(
      this.#buffer.buffer,
      this.#buffer.byteOffset,
      this.#buffer.byteLength,
    );
    this.#batch = newPacketBatch(options.batchSize ?? DEFAULT_BATCH, this.#buffer);
  }

  /** Reads the file header from `source`; throws CaptureError when it is not a capture. */
  static async open(
    source: ByteReader,
    name: string,
    options: CaptureReaderOptions = {},
  ): Promise<CaptureReader> {
    const reader = new CaptureReader(name, source, options);
    await reader.#detect();
    return reader;
  }

  get format(): CaptureFormat {
    return this.#pcapHeader ? "pcap" : "pcapng";
  }

  /**
   * For classic pcap input, how its record headers are laid out; undefined
   * for pcapng. Lets a writer copy runs of records whole (PcapWriter.writeRecords).
   */
  get pcapLayout(): { readonly littleEndian: boolean; readonly nanosecond: boolean } | undefined {
    return this.#pcapHeader;
  }

  /** Link type of the file (pcapng: of its first interface; 1 if it has none yet). */
  get linkType(): number {
    return this.#pcapHeader?.linkType ?? this.#section?.interfaces[0]?.linkType ?? 1;
  }

  /** Snapshot length the file declares (0 or absurd values read as 262144). */
  get snaplen(): number {
    const declared = this.#pcapHeader?.snaplen ?? this.#section?.interfaces[0]?.snaplen ?? 0;
    return declared > 0 && declared <= MAX_SNAPLEN ? declared : MAX_SNAPLEN;
  }

  /** Input bytes consumed by the records handed out so far. */
  get position(): number {
    return this.#base + this.#start;
  }

  /** Set when the input ended inside a record: what was cut and where. */
  get truncation(): string | undefined {
    return this.#truncation;
  }

  /**
   * The next batch of packets, or null at the end of the input. The batch and
   * the bytes it points to stay valid until the next call.
   */
  async next(): Promise<PacketBatch | null> {
    if (this.#pending !== undefined) {
      const pending = this.#pending;
      this.#pending = undefined;
      return pending;
    }
    const batch = this.#batch;
    batch.count = 0;
    const progress = this.#progress;
    for (;;) {
      batch.bytes = this.#buffer;
      if (this.#pcapHeader) {
        parsePcapRecords(this.#view, this.#start, this.#end, this.#pcapHeader, batch, progress);
      } else {
        parsePcapngBlocks(this.#view, this.#start, this.#end, this.#section!, batch, progress);
      }
      this.#start = progress.next;
      if (progress.error) throw new CaptureError(this.name, this.position, progress.error);
      // Refilling moves the buffer's bytes, so a batch is handed out before any refill.
      if (batch.count > 0) return batch;
      if (this.#eof) {
        if (this.#start < this.#end) {
          const have = this.#end - this.#start;
          this.#truncation = `truncated record at byte ${this.position}: ` +
            `${progress.need} bytes needed, ${have} present`;
        }
        return null;
      }
      await this.#refill(progress.need);
    }
  }

  async #detect(): Promise<void> {
    await this.#refill(4);
    const have = this.#end - this.#start;
    if (have === 0) {
      throw new CaptureError(this.name, undefined, "not a pcap or pcapng file (empty file)");
    }
    if (have < 4) {
      throw new CaptureError(
        this.name,
        undefined,
        `not a pcap or pcapng file (only ${have} bytes)`,
      );
    }
    if (this.#view.getUint32(0, true) === BLOCK_SECTION_HEADER) {
      this.#section = newPcapngSection();
      this.#pending = await this.next();
      return;
    }
    if (pcapMagicKind(this.#view, 0) === undefined) {
      const magic = this.#view.getUint32(0, false).toString(16).padStart(8, "0");
      throw new CaptureError(this.name, undefined, `not a pcap or pcapng file (magic 0x${magic})`);
    }
    await this.#refill(PCAP_FILE_HEADER_LENGTH);
    if (this.#end < PCAP_FILE_HEADER_LENGTH) {
      throw new CaptureError(
        this.name,
        undefined,
        `truncated pcap file header (${this.#end} of ${PCAP_FILE_HEADER_LENGTH} bytes)`,
      );
    }
    this.#pcapHeader = parsePcapFileHeader(this.#view, 0);
    this.#start = PCAP_FILE_HEADER_LENGTH;
  }

  /** Reads until `need` bytes are buffered from #start, or the input ends. */
  async #refill(need: number): Promise<void> {
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#base += this.#start;
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (need > this.#buffer.length - READ_SLACK) {
      const grown = new Uint8Array(Math.max(need + READ_SLACK, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#end));
      this.#buffer = grown;
      this.#view = new DataView(grown.buffer);
    }
    // Read only while short: a followed file that is not growing must not block
    // a caller whose bytes are already here.
    while (this.#end < need) {
      const into = this.#buffer.subarray(this.#end, this.#buffer.length - READ_SLACK);
      // Every so often an async read even so: it lets the event loop turn, so
      // signal handlers (Ctrl-C) still run while a large file is read.
      const readSync = this.#readSync;
      const n = readSync !== undefined && (++this.#syncReads & ASYNC_READ_EVERY_MASK) !== 0
        ? readSync(into)
        : await this.#source.read(into);
      if (n === null) {
        this.#eof = true;
        return;
      }
      this.#end += n;
    }
  }
}

/**
 * Writes classic pcap (nanosecond by default) through one large buffer, so
 * the OS sees few big writes. The file header goes into the buffer when the
 * writer is made.
 */
import { type ByteWriter, writeAll } from "../cli/io.ts";
import { MAX_SNAPLEN } from "./link_type.ts";
import type { PacketBatch } from "./packet_batch.ts";
import { encodePcapFileHeader, PCAP_RECORD_HEADER_LENGTH } from "./pcap_format.ts";
import { syncWriteOf, type WriteSync } from "./sync_io.ts";

/** Runs at least this long skip the buffer and go to the sink directly. */
const DIRECT_WRITE_MIN = 256 * 1024;

export type TimestampPrecision = "nano" | "micro";

export interface PcapWriterOptions {
  readonly linkType: number;
  /** Largest caplen written; longer packets are cut (default 262144). */
  readonly snaplen?: number;
  /** Timestamp unit of the output (default "nano"). */
  readonly precision?: TimestampPrecision;
  /** Output buffer size in bytes (default 1 MiB, at least 512 KiB). */
  readonly bufferSize?: number;
}

export class PcapWriter {
  #sink: ByteWriter;
  /** A blocking write to #sink (sync_io.ts), for /dev/null. */
  #writeSync: WriteSync | undefined;
  #buffer: Uint8Array;
  #view: DataView;
  #used = 0;
  #nanosecond: boolean;
  readonly snaplen: number;
  readonly linkType: number;
  /** Packets appended so far. */
  packets = 0;
  /** Captured bytes appended so far (record payloads, without headers). */
  bytes = 0;

  constructor(sink: ByteWriter, options: PcapWriterOptions) {
    this.#sink = sink;
    this.#writeSync = syncWriteOf(sink);
    this.snaplen = Math.min(Math.max(options.snaplen ?? MAX_SNAPLEN, 1), MAX_SNAPLEN);
    this.linkType = options.linkType;
    this.#nanosecond = (options.precision ?? "nano") === "nano";
    // Room for at least one largest record, so append() never has to split.
    const size = Math.max(
      options.bufferSize ?? 1 << 20,
      2 * (MAX_SNAPLEN + PCAP_RECORD_HEADER_LENGTH),
    );
    this.#buffer = new Uint8Array(size);
    this.#view = new DataView(this.#buffer.buffer);
    const header = encodePcapFileHeader(this.linkType, this.snaplen, this.#nanosecond);
    this.#buffer.set(header);
    this.#used = header.length;
  }

  /** Free bytes in the buffer; append() needs min(caplen, snaplen) + 16. */
  get room(): number {
    return this.#buffer.length - this.#used;
  }

  /** Bytes buffered and not yet handed to the sink. */
  get buffered(): number {
    return this.#used;
  }

  /** Appends one record; the caller has checked `room`. */
  append(
    bytes: Uint8Array,
    offset: number,
    caplen: number,
    wirelen: number,
    sec: number,
    nsec: number,
  ): void {
    const incl = caplen < this.snaplen ? caplen : this.snaplen;
    const view = this.#view;
    const at = this.#used;
    view.setUint32(at, sec, true);
    view.setUint32(at + 4, this.#nanosecond ? nsec : Math.floor(nsec / 1000), true);
    view.setUint32(at + 8, incl, true);
    view.setUint32(at + 12, wirelen, true);
    const dst = this.#buffer;
    const from = at + PCAP_RECORD_HEADER_LENGTH;
    if (incl <= 64) {
      // A loop beats creating a subarray view for short frames.
      for (let k = 0; k < incl; k++) dst[from + k] = bytes[offset + k]!;
    } else {
      dst.set(bytes.subarray(offset, offset + incl), from);
    }
    this.#used = from + incl;
    this.packets++;
    this.bytes += incl;
  }

  /** Appends packet `i` of `batch`, flushing first if the buffer is full. */
  async appendFromBatch(batch: PacketBatch, i: number): Promise<void> {
    const caplen = batch.caplen[i]!;
    if (this.room < caplen + PCAP_RECORD_HEADER_LENGTH) await this.flush();
    this.append(
      batch.bytes,
      batch.offset[i]!,
      caplen,
      batch.wirelen[i]!,
      batch.sec[i]!,
      batch.nsec[i]!,
    );
  }

  /** A run that fits the buffer: one copy, its headers converted in the copy (not in `bytes`). */
  #appendRecords(
    bytes: Uint8Array,
    start: number,
    end: number,
    count: number,
    nanosecondInput: boolean,
  ): void {
    const length = end - start;
    const from = this.#used;
    this.#buffer.set(bytes.subarray(start, end), from);
    this.#used = from + length;
    if (nanosecondInput !== this.#nanosecond) {
      convertFractions(this.#view, from, this.#used, this.#nanosecond);
    }
    this.packets += count;
    this.bytes += length - count * PCAP_RECORD_HEADER_LENGTH;
  }

  /**
   * Writes `count` whole little-endian pcap records lying back to back in
   * `bytes[start, end)` (a capture reader's buffer), as if each had been
   * appended; every caplen must be ≤ snaplen. A short run is copied into the
   * buffer (flushing first if it is full), its timestamps converted in the
   * copy; a run of 256 KiB or more goes to the sink straight from `bytes`,
   * whose record headers are then rewritten in place when the units differ.
   */
  async writeRecords(
    bytes: Uint8Array,
    start: number,
    end: number,
    count: number,
    nanosecondInput: boolean,
  ): Promise<void> {
    const length = end - start;
    if (length < DIRECT_WRITE_MIN) {
      if (length > this.room) await this.flush();
      this.#appendRecords(bytes, start, end, count, nanosecondInput);
      return;
    }
    await this.flush();
    if (nanosecondInput !== this.#nanosecond) {
      convertFractions(
        new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        start,
        end,
        this.#nanosecond,
      );
    }
    await this.#write(bytes.subarray(start, end));
    this.packets += count;
    this.bytes += length - count * PCAP_RECORD_HEADER_LENGTH;
  }

  /** Hands everything buffered to the sink; resolves once the sink has taken it. */
  async flush(): Promise<void> {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    await this.#write(this.#buffer.subarray(0, used));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const writeSync = this.#writeSync;
    if (writeSync === undefined) return await writeAll(this.#sink, bytes);
    for (let done = 0; done < bytes.length;) {
      done += writeSync(done === 0 ? bytes : bytes.subarray(done));
    }
  }
}

/** Rewrites the sub-second field of the little-endian records in `view[start, end)` to the other unit. */
function convertFractions(view: DataView, start: number, end: number, toNanosecond: boolean): void {
  for (let at = start; at < end; at += PCAP_RECORD_HEADER_LENGTH + view.getUint32(at + 8, true)) {
    const fraction = view.getUint32(at + 4, true);
    view.setUint32(at + 4, toNanosecond ? fraction * 1000 : Math.floor(fraction / 1000), true);
  }
}

/**
 * The consumer's pcap output: nanosecond records (Ethernet) built straight
 * from the ring's slots into one large buffer, handed to the OS in big
 * writes. Payloads up to 128 bytes are copied a word at a time (read as
 * words from the word-aligned ring slot, written through a DataView at the
 * record's unaligned position), so the per-packet path allocates nothing;
 * longer ones with one typed-array `set`.
 */
import { type ByteWriter, writeAll } from "../cli/io.ts";
import { LINKTYPE_ETHERNET, MAX_SNAPLEN } from "../pcap/link_type.ts";
import type { PacketBatch } from "../pcap/packet_batch.ts";
import { encodePcapFileHeader } from "../pcap/pcap_format.ts";
import { copyBytes, viewOf, WORD_COPY_MAX } from "./copy_bytes.ts";
import type { RingPacketSink } from "./consumer.ts";

export interface PcapSinkOptions {
  /** Largest caplen written; longer packets are cut (default 262144). */
  readonly snaplen?: number;
  /**
   * Output buffer in bytes (default 256 KiB: it stays in the CPU cache between
   * the copies into it and the write that drains it; 1 MiB was slower).
   */
  readonly bufferSize?: number;
}

const RECORD_HEADER = 16;

/** The sink's output buffer and where it stands; one per sink. */
interface RecordBuffer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Bytes filled so far. */
  used: number;
  readonly snaplen: number;
  /** The last source buffer seen, and a DataView over it (made once per buffer, not per batch). */
  source: Uint8Array;
  sourceView: DataView;
  /** The source's whole 32-bit words, when its first byte is word-aligned (ring memory is). */
  sourceWords: Int32Array;
  sourceAligned: boolean;
}

/** A RingPacketSink writing a nanosecond Ethernet pcap (file header first) to `out`. */
export function pcapSink(out: ByteWriter, options: PcapSinkOptions = {}): RingPacketSink {
  const snaplen = Math.min(Math.max(options.snaplen ?? MAX_SNAPLEN, 1), MAX_SNAPLEN);
  const bytes = new Uint8Array(Math.max(options.bufferSize ?? 256 * 1024, 64 * 1024));
  bytes.set(encodePcapFileHeader(LINKTYPE_ETHERNET, snaplen, true));
  const empty = new Uint8Array(0);
  const output: RecordBuffer = {
    bytes,
    view: viewOf(bytes),
    used: 24,
    snaplen,
    source: empty,
    sourceView: viewOf(empty),
    sourceWords: new Int32Array(0),
    sourceAligned: false,
  };

  async function flush(): Promise<void> {
    if (output.used === 0) return;
    const length = output.used;
    output.used = 0;
    await writeAll(out, bytes.subarray(0, length));
  }

  async function writeRest(batch: PacketBatch, from: number): Promise<void> {
    for (let i = from; i < batch.count; i = appendRecords(output, batch, i)) await flush();
  }

  return {
    write(batch: PacketBatch): void | Promise<void> {
      // Synchronous while the buffer has room (the common case): no promise per batch.
      const next = appendRecords(output, batch, 0);
      if (next < batch.count) return writeRest(batch, next);
    },
    flush,
  };
}

/**
 * Appends pcap records for packets [from, batch.count) to `output` until one
 * does not fit; returns the index of the first packet not written.
 * Synchronous and allocation-free: the hot loop of the sink.
 */
function appendRecords(output: RecordBuffer, batch: PacketBatch, from: number): number {
  const { bytes, offset, caplen, wirelen, sec, nsec, count } = batch;
  if (bytes !== output.source) {
    output.source = bytes;
    output.sourceView = viewOf(bytes);
    // Word reads need a word-aligned start; otherwise every packet takes the DataView path.
    output.sourceAligned = bytes.byteOffset % 4 === 0;
    output.sourceWords = output.sourceAligned
      ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2)
      : new Int32Array(0);
  }
  const sourceView = output.sourceView;
  const sourceWords = output.sourceWords;
  const aligned = output.sourceAligned;
  const buffer = output.bytes;
  const view = output.view;
  const snaplen = output.snaplen;
  const end = buffer.length;
  let at = output.used;
  let i = from;
  for (; i < count; i++) {
    const length = caplen[i]! < snaplen ? caplen[i]! : snaplen;
    // A record larger than the whole buffer goes out alone (the buffer is at least 64 KiB,
    // a ring payload at most 10 KiB, so this never triggers for ring packets).
    if (at + RECORD_HEADER + length > end && at > 0) break;
    view.setUint32(at, sec[i]!, true);
    view.setUint32(at + 4, nsec[i]!, true);
    view.setUint32(at + 8, length, true);
    view.setUint32(at + 12, wirelen[i]!, true);
    const from = offset[i]!;
    at += RECORD_HEADER;
    if (length > WORD_COPY_MAX) {
      buffer.set(bytes.subarray(from, from + length), at);
    } else if (aligned && (from & 3) === 0) {
      // Ring payloads are word-aligned: read them as words (cheaper than DataView reads).
      let w = from >> 2;
      const blocksEnd = at + (length & ~15);
      const wordsEnd = at + (length & ~3);
      let to = at;
      for (; to < blocksEnd; to += 16, w += 4) {
        view.setInt32(to, sourceWords[w]!, true);
        view.setInt32(to + 4, sourceWords[w + 1]!, true);
        view.setInt32(to + 8, sourceWords[w + 2]!, true);
        view.setInt32(to + 12, sourceWords[w + 3]!, true);
      }
      for (; to < wordsEnd; to += 4) view.setInt32(to, sourceWords[w++]!, true);
      for (let k = w << 2; to < at + length; k++, to++) buffer[to] = bytes[k]!;
    } else {
      copyBytes(bytes, sourceView, from, buffer, view, at, length);
    }
    at += length;
  }
  output.used = at;
  return i;
}

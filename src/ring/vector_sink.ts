/**
 * The consumer's zero-copy pcap output: each packet goes out as two iovecs of
 * one writev(2) call, its 16-byte record header (built here) and its payload
 * straight from the ring slot, up to 511 packets a call. JavaScript touches
 * only the slot headers, never the payload bytes: the kernel copies them to
 * the file or pipe (and to /dev/null copies nothing). The records are the
 * same bytes pcapSink writes; this sink needs a file descriptor and a
 * runtime with vectored I/O (Deno), otherwise consume uses pcapSink.
 */
import {
  EAGAIN,
  EINTR,
  EPIPE,
  IOV_MAX,
  IOVEC_WORDS,
  setIovec,
  skipDone,
  type VectorIo,
} from "../../ffi/vector_io.ts";
import { LINKTYPE_ETHERNET, MAX_SNAPLEN } from "../pcap/link_type.ts";
import type { PacketBatch } from "../pcap/packet_batch.ts";
import { encodePcapFileHeader, PCAP_FILE_HEADER_LENGTH } from "../pcap/pcap_format.ts";
import type { RingPacketSink } from "./consumer.ts";

export interface VectorSinkOptions {
  /** Largest caplen written; longer packets are cut (default 262144). */
  readonly snaplen?: number;
}

/**
 * The iovec list has a fixed shape: record k's header is entry 2k (its place
 * in `headers` never changes, so the entry is filled in once) and its payload
 * entry 2k+1. Per packet only the payload's address and length are written.
 * 512 records a call: the consumer frees half a ring (512 slots) at a time.
 */
const RECORDS_PER_CALL = IOV_MAX >> 1;
const RECORD_HEADER = 16;
const TWO_32 = 4294967296;

interface Pending {
  readonly iov: Uint32Array;
  /** Records listed since the last call. */
  records: number;
  /** Bytes listed since the last call. */
  bytes: number;
  /** The record headers, as host-endian words (record k at word 4k). */
  readonly headers: Uint32Array;
  /** The ring memory the last batch came from: its address, low half and high half. */
  source: Uint8Array | undefined;
  sourceLow: number;
  sourceHigh: number;
  /** False when the source straddles a 4 GiB boundary: then addresses are split per packet. */
  sourceOneHigh: boolean;
  readonly snaplen: number;
}

/**
 * A RingPacketSink writing a nanosecond Ethernet pcap (file header first) to
 * file descriptor `fd` with writev. Little-endian hosts only (the record
 * headers are stored as host words). A closed pipe throws Deno.errors.BrokenPipe,
 * as a Deno write does.
 */
export function vectorPcapSink(
  fd: number,
  io: VectorIo,
  options: VectorSinkOptions = {},
): RingPacketSink {
  return new VectorPcapSink(fd, io, options);
}

/**
 * A class, not a closure record: every sink shares the same `write` and
 * `flush` functions, so the consumer's warm-up sink (into /dev/null) and the
 * real one are the same call targets to V8, and code compiled during the
 * warm-up stays valid for the real run (closures made per sink made V8
 * deoptimise the consumer's loop at the first real packet).
 */
class VectorPcapSink implements RingPacketSink {
  readonly #fd: number;
  readonly #io: VectorIo;
  readonly #bufferAddress: number;
  readonly #headersAddress: number;
  readonly #pending: Pending;
  #fileHeaderWritten = false;

  constructor(fd: number, io: VectorIo, options: VectorSinkOptions) {
    const snaplen = Math.min(Math.max(options.snaplen ?? MAX_SNAPLEN, 1), MAX_SNAPLEN);
    const buffer = io.newStableBuffer(PCAP_FILE_HEADER_LENGTH + RECORDS_PER_CALL * RECORD_HEADER);
    new Uint8Array(buffer).set(encodePcapFileHeader(LINKTYPE_ETHERNET, snaplen, true));
    this.#fd = fd;
    this.#io = io;
    this.#bufferAddress = io.addressOf(buffer);
    this.#headersAddress = this.#bufferAddress + PCAP_FILE_HEADER_LENGTH;
    this.#pending = {
      iov: new Uint32Array(IOV_MAX * IOVEC_WORDS),
      records: 0,
      bytes: 0,
      headers: new Uint32Array(buffer, PCAP_FILE_HEADER_LENGTH),
      source: undefined,
      // Doubles from the start (-0): an address's low half is often above 2^30.
      sourceLow: -0,
      sourceHigh: -0,
      sourceOneHigh: false,
      snaplen,
    };
    setHeaderEntries(this.#pending.iov, this.#headersAddress, RECORDS_PER_CALL);
  }

  write(batch: PacketBatch): void {
    const pending = this.#pending;
    if (batch.bytes !== pending.source) setSource(pending, batch.bytes, this.#io);
    for (let from = 0; from < batch.count;) {
      if (pending.records === RECORDS_PER_CALL) this.#drain();
      from = addRecords(pending, batch, from);
    }
  }

  flush(): Promise<void> {
    try {
      if (this.#pending.records > 0 || !this.#fileHeaderWritten) this.#drain();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #drain(): void {
    const pending = this.#pending;
    if (!this.#fileHeaderWritten) {
      const fileHeader = new Uint32Array(IOVEC_WORDS);
      setIovec(fileHeader, 0, this.#bufferAddress, PCAP_FILE_HEADER_LENGTH);
      writeEntries(this.#fd, this.#io, fileHeader, 1, PCAP_FILE_HEADER_LENGTH);
      this.#fileHeaderWritten = true;
    }
    // A short write shortens entries in place (skipDone): then put the header entries back.
    const whole = writeEntries(this.#fd, this.#io, pending.iov, 2 * pending.records, pending.bytes);
    if (!whole) setHeaderEntries(pending.iov, this.#headersAddress, pending.records);
    pending.records = 0;
    pending.bytes = 0;
  }
}

/** Entries 0, 2, 4, ... of `iov`: the record headers, 16 bytes each from `headersAddress`. */
function setHeaderEntries(iov: Uint32Array, headersAddress: number, records: number): void {
  for (let k = 0; k < records; k++) {
    setIovec(iov, 2 * k, headersAddress + k * RECORD_HEADER, RECORD_HEADER);
  }
}

function setSource(pending: Pending, bytes: Uint8Array, io: VectorIo): void {
  const start = io.addressOf(bytes.buffer as ArrayBuffer) + bytes.byteOffset;
  const low = start >>> 0;
  pending.source = bytes;
  pending.sourceLow = low;
  pending.sourceHigh = (start - low) / TWO_32;
  pending.sourceOneHigh = low + bytes.byteLength < TWO_32;
}

/**
 * Lists packets [from, batch.count) until the call is full; returns the
 * index of the first packet not listed. Allocation-free: the hot loop.
 */
function addRecords(pending: Pending, batch: PacketBatch, from: number): number {
  const { offset, caplen, wirelen, sec, nsec, count } = batch;
  const { iov, headers, sourceLow, sourceHigh, sourceOneHigh, snaplen } = pending;
  let records = pending.records;
  let bytes = pending.bytes;
  let i = from;
  for (; i < count && records < RECORDS_PER_CALL; i++) {
    const length = caplen[i]! < snaplen ? caplen[i]! : snaplen;
    const h = records << 2;
    headers[h] = sec[i]!;
    headers[h + 1] = nsec[i]!;
    headers[h + 2] = length;
    headers[h + 3] = wirelen[i]!;
    // Payload entry 2k+1: address and length. Where the whole source lies below
    // one 4 GiB boundary (the usual case) the high half is the same for every
    // packet, and the entry's last word stays 0 from setIovec.
    if (sourceOneHigh) {
      const w = (records << 3) + IOVEC_WORDS;
      iov[w] = sourceLow + offset[i]!;
      iov[w + 1] = sourceHigh;
      iov[w + 2] = length;
    } else {
      setIovec(iov, (records << 1) + 1, sourceLow + sourceHigh * TWO_32 + offset[i]!, length);
    }
    bytes += RECORD_HEADER + length;
    records++;
  }
  pending.records = records;
  pending.bytes = bytes;
  return i;
}

/**
 * Writes entries [0, count) holding `total` bytes, retrying after short
 * writes; false if a short write changed entries of `iov`.
 */
function writeEntries(
  fd: number,
  io: VectorIo,
  iov: Uint32Array,
  count: number,
  total: number,
): boolean {
  let whole = true;
  let first = 0;
  let left = total;
  while (left > 0) {
    const list = first === 0 ? iov : iov.subarray(first * IOVEC_WORDS);
    const written = io.writev(fd, list, count - first);
    if (written < 0) {
      if (written === -EINTR) continue;
      if (written === -EAGAIN) {
        // A non-blocking descriptor (set by whoever opened the pipe): wait until it drains.
        io.waitWritable(fd, 100);
        continue;
      }
      if (written === -EPIPE) throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
      throw new Error(`write failed (errno ${-written})`);
    }
    left -= written;
    if (left > 0) {
      first = skipDone(iov, first, count, written);
      whole = false;
    }
  }
  return whole;
}

/**
 * Packets as parallel arrays over one byte buffer: the hot loops read a batch
 * with no allocation and no per-packet await.
 *
 * Ownership: `bytes` belongs to whoever filled the batch (a capture reader's
 * refill buffer, a ring's mapped memory). A batch is valid only until the next
 * call that refills it; copy what must outlive that (see `copyPacket`).
 */
export interface PacketBatch {
  /** Packets in this batch; entries past `count` are stale. */
  count: number;
  /** The buffer `offset` indexes into. */
  bytes: Uint8Array;
  /** Start of packet i's captured bytes in `bytes`. */
  readonly offset: Uint32Array;
  /** Captured length of packet i (bytes present). */
  readonly caplen: Uint32Array;
  /** Original length on the wire of packet i (may exceed caplen). */
  readonly wirelen: Uint32Array;
  /** Timestamp of packet i: whole seconds since the epoch. */
  readonly sec: Float64Array;
  /** Timestamp of packet i: nanoseconds within the second, 0..999,999,999. */
  readonly nsec: Uint32Array;
  /** Link-layer type (LINKTYPE_*) of packet i; pcapng interfaces may differ. */
  readonly linkType: Uint16Array;
}

/** A batch with room for `capacity` packets, initially empty. */
export function newPacketBatch(
  capacity: number,
  bytes: Uint8Array = new Uint8Array(0),
): PacketBatch {
  return {
    count: 0,
    bytes,
    offset: new Uint32Array(capacity),
    caplen: new Uint32Array(capacity),
    wirelen: new Uint32Array(capacity),
    sec: new Float64Array(capacity),
    nsec: new Uint32Array(capacity),
    linkType: new Uint16Array(capacity),
  };
}

/** One packet detached from any buffer: what a caller keeps beyond the batch's life. */
export interface Packet {
  readonly data: Uint8Array;
  readonly wirelen: number;
  readonly sec: number;
  readonly nsec: number;
  readonly linkType: number;
}

/** Copies packet `i` out of `batch` (allocates; not for hot loops). */
export function copyPacket(batch: PacketBatch, i: number): Packet {
  const start = batch.offset[i] ?? 0;
  return {
    data: batch.bytes.slice(start, start + (batch.caplen[i] ?? 0)),
    wirelen: batch.wirelen[i] ?? 0,
    sec: batch.sec[i] ?? 0,
    nsec: batch.nsec[i] ?? 0,
    linkType: batch.linkType[i] ?? 0,
  };
}

/**
 * The FMAD ring's memory layout (ring version 0x100), as fmadio/platform's
 * `include/fmadio_packet.h` defines it: a header page, a page written only by
 * the producer (Put), a page written only by the consumer (Get), then 1024
 * packet slots. All fields little-endian and packed.
 *
 * This module is the spec: offsets and sizes live here and nowhere else, and
 * the functions below read and write fields over any DataView, so they can be
 * tested on a plain ArrayBuffer with no permissions.
 */

/** One fixed-size field: byte offset (from the region's start) and size in bytes. */
export interface RingField {
  readonly offset: number;
  readonly size: number;
}

function field(offset: number, size: number): RingField {
  return Object.freeze({ offset, size });
}

export const RING_VERSION = 0x100;
/** Number of slots in a 0x100 ring; the header's Depth must be a power of two up to this. */
export const RING_DEPTH = 1024;
export const RING_PAGE = 4096;
/** Bytes of one slot (header, payload, padding to a 4 KB multiple). */
export const SLOT_SIZE = 12288;
/**
 * Largest payload the spec's producer puts in a slot (fmagent produce cuts
 * longer packets to it); the slot has room for SLOT_PAYLOAD_ROOM.
 */
export const SLOT_PAYLOAD_MAX = 10240;
/** Largest value the u16 LengthWire field can hold. */
export const LENGTH_WIRE_MAX = 0xffff;
/** Start of slot 0. */
export const SLOTS_OFFSET = 3 * RING_PAGE;
/** sizeof(fFMADRingHeader_t): the exact size of a ring file. */
export const RING_FILE_SIZE = SLOTS_OFFSET + RING_DEPTH * SLOT_SIZE;
/** Size of the pre-2022 ring (10 KB slots, no Path/PendingB): reported as an older format. */
export const OLD_RING_FILE_SIZE = 10489868;

/** Flag bit 0: the end-of-stream slot (both lengths 0). */
export const FLAG_EOF = 1 << 0;
/** Flag bit 1: the packet was captured with an FCS error. */
export const FLAG_FCS_ERROR = 1 << 1;

/** Header page fields, offsets from the start of the file. */
export const HEADER = Object.freeze({
  version: field(0, 4),
  size: field(4, 4),
  sizePacket: field(8, 4),
  path: field(12, 128),
  depth: field(140, 8),
  mask: field(148, 8),
  isTxFlowControl: field(156, 4),
  txTimeout: field(160, 8),
  pendingBytes: field(168, 8),
});

/** Producer page: written by the producer only. */
export const PUT_PAGE = Object.freeze({
  put: field(RING_PAGE, 8),
  putByte: field(RING_PAGE + 8, 8),
  putPktTs: field(RING_PAGE + 16, 8),
});

/** Consumer page: written by the consumer only. */
export const GET_PAGE = Object.freeze({
  get: field(2 * RING_PAGE, 8),
  getByte: field(2 * RING_PAGE + 8, 8),
  getPktTs: field(2 * RING_PAGE + 16, 8),
});

/** Slot fields, offsets from the start of a slot. */
export const SLOT = Object.freeze({
  ts: field(0, 8),
  lengthWire: field(8, 2),
  lengthCapture: field(10, 2),
  port: field(12, 1),
  flag: field(13, 1),
  storageId: field(16, 8),
  payload: field(24, SLOT_PAYLOAD_MAX),
});

/**
 * Payload bytes a slot really has: everything after its 24-byte header. The
 * spec's producer stops at SLOT_PAYLOAD_MAX, but pcap2fmadio copies a
 * packet's whole caplen into the slot, so a consumer accepts LengthCapture
 * up to this and cuts a slot claiming more to it.
 */
export const SLOT_PAYLOAD_ROOM = SLOT_SIZE - SLOT.payload.offset;

/** Index of Put in a BigInt64Array over the whole ring (for Atomics). */
export const PUT_INDEX = PUT_PAGE.put.offset / 8;
/** Index of Get in a BigInt64Array over the whole ring (for Atomics). */
export const GET_INDEX = GET_PAGE.get.offset / 8;

/** Byte offset of slot `index` (already masked) from the start of the file. */
export function slotOffset(index: number): number {
  return SLOTS_OFFSET + index * SLOT_SIZE;
}

const TWO_32 = 4294967296;

/** Reads a u64 as a Number (exact below 2^53, which every counter stays under). */
export function readU64(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true) * TWO_32 + view.getUint32(offset, true);
}

/** Writes a non-negative integer below 2^53 as a u64. */
export function writeU64(view: DataView, offset: number, value: number): void {
  const low = value % TWO_32;
  view.setUint32(offset, low, true);
  view.setUint32(offset + 4, (value - low) / TWO_32, true);
}

/** Reads an s64 as a Number (exact within ±2^53). */
export function readS64(view: DataView, offset: number): number {
  return view.getInt32(offset + 4, true) * TWO_32 + view.getUint32(offset, true);
}

/** The header page, decoded. */
export interface RingHeader {
  version: number;
  size: number;
  sizePacket: number;
  path: string;
  depth: number;
  mask: number;
  isTxFlowControl: boolean;
  /** Producer timeout in ns as the creator set it (informational for fmagent). */
  txTimeoutNs: number;
  /** Bytes the producer still has to send. */
  pendingBytes: number;
}

/** The counters of the Put and Get pages, decoded. */
export interface RingCounters {
  put: number;
  putByte: number;
  /** Epoch ns of the last packet put, as a u64 split in halves (exact). */
  putPktTsLow: number;
  putPktTsHigh: number;
  get: number;
  getByte: number;
  getPktTsLow: number;
  getPktTsHigh: number;
}

const latin1 = new TextDecoder("latin1");

export function readHeader(view: DataView): RingHeader {
  const pathBytes = new Uint8Array(
    view.buffer,
    view.byteOffset + HEADER.path.offset,
    HEADER.path.size,
  );
  const nul = pathBytes.indexOf(0);
  return {
    version: view.getUint32(HEADER.version.offset, true),
    size: view.getUint32(HEADER.size.offset, true),
    sizePacket: view.getUint32(HEADER.sizePacket.offset, true),
    path: latin1.decode(nul < 0 ? pathBytes : pathBytes.subarray(0, nul)),
    depth: readU64(view, HEADER.depth.offset),
    mask: readU64(view, HEADER.mask.offset),
    isTxFlowControl: view.getUint32(HEADER.isTxFlowControl.offset, true) !== 0,
    txTimeoutNs: readU64(view, HEADER.txTimeout.offset),
    pendingBytes: readU64(view, HEADER.pendingBytes.offset),
  };
}

export function readCounters(view: DataView): RingCounters {
  return {
    put: readS64(view, PUT_PAGE.put.offset),
    putByte: readU64(view, PUT_PAGE.putByte.offset),
    putPktTsLow: view.getUint32(PUT_PAGE.putPktTs.offset, true),
    putPktTsHigh: view.getUint32(PUT_PAGE.putPktTs.offset + 4, true),
    get: readS64(view, GET_PAGE.get.offset),
    getByte: readU64(view, GET_PAGE.getByte.offset),
    getPktTsLow: view.getUint32(GET_PAGE.getPktTs.offset, true),
    getPktTsHigh: view.getUint32(GET_PAGE.getPktTs.offset + 4, true),
  };
}

/** Settings a producer gives a ring it initialises. */
export interface RingInit {
  path: string;
  flowControl: boolean;
  txTimeoutNs: number;
}

/**
 * Initialises a ring as FMADPacket_OpenTx does on reset: zero the three
 * control pages, write the geometry, and write Version last, because a
 * valid Version is the sign that the rest is set up.
 * Slots are not cleared (the file is fresh or the old payloads are unreachable).
 */
export function writeFreshHeader(view: DataView, init: RingInit): void {
  new Uint8Array(view.buffer, view.byteOffset, SLOTS_OFFSET).fill(0);
  view.setUint32(HEADER.size.offset, RING_FILE_SIZE, true);
  view.setUint32(HEADER.sizePacket.offset, SLOT_SIZE, true);
  writeU64(view, HEADER.depth.offset, RING_DEPTH);
  writeU64(view, HEADER.mask.offset, RING_DEPTH - 1);
  const pathBytes = new TextEncoder().encode(init.path).subarray(0, HEADER.path.size);
  new Uint8Array(view.buffer, view.byteOffset + HEADER.path.offset, HEADER.path.size).set(
    pathBytes,
  );
  view.setUint32(HEADER.isTxFlowControl.offset, init.flowControl ? 1 : 0, true);
  writeU64(view, HEADER.txTimeout.offset, init.txTimeoutNs);
  view.setUint32(HEADER.version.offset, RING_VERSION, true);
}

/** What is wrong with a header, as the tail of a `Cannot open ring PATH: ...` message; undefined if usable. */
export function headerProblem(header: RingHeader): string | undefined {
  if (header.version !== RING_VERSION) {
    return `version 0x${header.version.toString(16)}, expected 0x${RING_VERSION.toString(16)}` +
      (header.version === 0 ? " (not initialised: no producer has set it up yet)" : "");
  }
  if (header.size !== RING_FILE_SIZE) {
    return `header size ${header.size}, expected ${RING_FILE_SIZE} (older ring format?)`;
  }
  if (header.sizePacket !== SLOT_SIZE) {
    return `slot size ${header.sizePacket}, expected ${SLOT_SIZE} (older ring format?)`;
  }
  const depthOk = header.depth >= 2 && header.depth <= RING_DEPTH &&
    (header.depth & (header.depth - 1)) === 0;
  if (!depthOk) return `depth ${header.depth}, expected a power of two from 2 to ${RING_DEPTH}`;
  if (header.mask !== header.depth - 1) {
    return `mask 0x${header.mask.toString(16)}, expected 0x${
      (header.depth - 1).toString(16)
    } (depth - 1)`;
  }
  return undefined;
}

/** What is wrong with a ring file's size, as a message tail; undefined if right. */
export function fileSizeProblem(size: number): string | undefined {
  if (size === RING_FILE_SIZE) return undefined;
  return `size ${size}, expected ${RING_FILE_SIZE}` +
    (size === 0 ? " (empty file)" : " (older ring format?)");
}

/** Slot fields, decoded (for tests and tools; the hot loops read the fields directly). */
export interface RingSlot {
  tsLow: number;
  tsHigh: number;
  lengthWire: number;
  lengthCapture: number;
  port: number;
  flag: number;
  storageIdLow: number;
  storageIdHigh: number;
}

export function readSlot(view: DataView, slotStart: number): RingSlot {
  return {
    tsLow: view.getUint32(slotStart + SLOT.ts.offset, true),
    tsHigh: view.getUint32(slotStart + SLOT.ts.offset + 4, true),
    lengthWire: view.getUint16(slotStart + SLOT.lengthWire.offset, true),
    lengthCapture: view.getUint16(slotStart + SLOT.lengthCapture.offset, true),
    port: view.getUint8(slotStart + SLOT.port.offset),
    flag: view.getUint8(slotStart + SLOT.flag.offset),
    storageIdLow: view.getUint32(slotStart + SLOT.storageId.offset, true),
    storageIdHigh: view.getUint32(slotStart + SLOT.storageId.offset + 4, true),
  };
}

/** The end-of-stream slot: Flag bit 0, both lengths 0, the last packet's time. */
export function endOfStreamSlot(tsLow: number, tsHigh: number): RingSlot {
  return {
    tsLow,
    tsHigh,
    lengthWire: 0,
    lengthCapture: 0,
    port: 0,
    flag: FLAG_EOF,
    storageIdLow: 0,
    storageIdHigh: 0,
  };
}

/** Writes a slot's fixed fields (not the payload), as FMADPacket_SendV1 does. */
export function writeSlotFields(view: DataView, slotStart: number, slot: RingSlot): void {
  view.setUint32(slotStart + SLOT.ts.offset, slot.tsLow, true);
  view.setUint32(slotStart + SLOT.ts.offset + 4, slot.tsHigh, true);
  view.setUint16(slotStart + SLOT.lengthWire.offset, slot.lengthWire, true);
  view.setUint16(slotStart + SLOT.lengthCapture.offset, slot.lengthCapture, true);
  view.setUint8(slotStart + SLOT.port.offset, slot.port);
  view.setUint8(slotStart + SLOT.flag.offset, slot.flag);
  view.setUint32(slotStart + SLOT.storageId.offset, slot.storageIdLow, true);
  view.setUint32(slotStart + SLOT.storageId.offset + 4, slot.storageIdHigh, true);
}

/**
 * The slot header as 32-bit words, for the hot loops (a Uint32Array over the
 * ring is cheaper than DataView calls): word indexes from a slot's first word.
 * Words are host-endian; fmagent requires a little-endian host (x86_64,
 * aarch64), which the Ring checks when it maps a file.
 * - TS: words 0 (low) and 1 (high)
 * - LENGTHS: LengthWire in the low half, LengthCapture in the high half
 * - PORT_FLAG: Port in bits 0-7, Flag in bits 8-15, padding above
 * - STORAGE_ID: words 4 (low) and 5 (high)
 */
export const SLOT_WORD = Object.freeze({
  ts: SLOT.ts.offset / 4,
  lengths: SLOT.lengthWire.offset / 4,
  portFlag: SLOT.port.offset / 4,
  storageId: SLOT.storageId.offset / 4,
});
/** Bit position of LengthCapture in the LENGTHS word. */
export const LENGTH_CAPTURE_SHIFT = (SLOT.lengthCapture.offset - SLOT.lengthWire.offset) * 8;
/** Bit position of Flag in the PORT_FLAG word. */
export const FLAG_SHIFT = (SLOT.flag.offset - SLOT.port.offset) * 8;
/** 32-bit words in a slot. */
export const SLOT_WORDS = SLOT_SIZE / 4;
/** Word index of slot 0's first word. */
export const SLOTS_WORD = SLOTS_OFFSET / 4;

/** True on a little-endian host, where the ring's words can be read as typed arrays. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

import { assertEquals, assertMatch } from "../../tests/support/assert.ts";
import {
  endOfStreamSlot,
  fileSizeProblem,
  FLAG_EOF,
  FLAG_FCS_ERROR,
  GET_INDEX,
  GET_PAGE,
  HEADER,
  headerProblem,
  OLD_RING_FILE_SIZE,
  PUT_INDEX,
  PUT_PAGE,
  readCounters,
  readHeader,
  readS64,
  readSlot,
  readU64,
  RING_DEPTH,
  RING_FILE_SIZE,
  SLOT,
  SLOT_PAYLOAD_MAX,
  SLOT_SIZE,
  slotOffset,
  SLOTS_OFFSET,
  writeFreshHeader,
  writeSlotFields,
  writeU64,
} from "./layout.ts";

Deno.test("layout: header fields sit where fmadio_packet.h puts them", () => {
  const table = Object.fromEntries(Object.entries(HEADER).map(([k, f]) => [k, [f.offset, f.size]]));
  assertEquals(table, {
    version: [0, 4],
    size: [4, 4],
    sizePacket: [8, 4],
    path: [12, 128],
    depth: [140, 8],
    mask: [148, 8],
    isTxFlowControl: [156, 4],
    txTimeout: [160, 8],
    pendingBytes: [168, 8],
  });
});

Deno.test("layout: Put and Get pages, slots and file size", () => {
  assertEquals([PUT_PAGE.put.offset, PUT_PAGE.putByte.offset, PUT_PAGE.putPktTs.offset], [
    4096,
    4104,
    4112,
  ]);
  assertEquals([GET_PAGE.get.offset, GET_PAGE.getByte.offset, GET_PAGE.getPktTs.offset], [
    8192,
    8200,
    8208,
  ]);
  assertEquals([PUT_INDEX, GET_INDEX], [512, 1024]);
  const slot = Object.fromEntries(Object.entries(SLOT).map(([k, f]) => [k, [f.offset, f.size]]));
  assertEquals(slot, {
    ts: [0, 8],
    lengthWire: [8, 2],
    lengthCapture: [10, 2],
    port: [12, 1],
    flag: [13, 1],
    storageId: [16, 8],
    payload: [24, 10240],
  });
  assertEquals([SLOTS_OFFSET, SLOT_SIZE, SLOT_PAYLOAD_MAX, RING_DEPTH], [
    12288,
    12288,
    10240,
    1024,
  ]);
  assertEquals(RING_FILE_SIZE, 12_595_200);
  assertEquals(slotOffset(0), 12288);
  assertEquals(slotOffset(1023) + SLOT_SIZE, RING_FILE_SIZE);
  assertEquals([FLAG_EOF, FLAG_FCS_ERROR], [1, 2]);
  // Every field is frozen: the table is a spec, not state.
  assertEquals(
    Object.isFrozen(HEADER) && Object.isFrozen(HEADER.depth) && Object.isFrozen(SLOT),
    true,
  );
});

Deno.test("layout: u64/s64 helpers round-trip beyond 2^32 and read negative s64", () => {
  const view = new DataView(new ArrayBuffer(16));
  writeU64(view, 0, 2 ** 40 + 12345);
  assertEquals(readU64(view, 0), 2 ** 40 + 12345);
  assertEquals([view.getUint32(0, true), view.getUint32(4, true)], [12345, 256]);
  view.setBigInt64(8, -5n, true);
  assertEquals(readS64(view, 8), -5);
});

Deno.test("layout: a fresh header is valid, little-endian, with Version written", () => {
  const buffer = new ArrayBuffer(RING_FILE_SIZE);
  const view = new DataView(buffer);
  new Uint8Array(buffer).fill(0xee, 0, SLOTS_OFFSET); // stale bytes must be cleared
  writeFreshHeader(view, {
    path: "/opt/fmadio/queue/lxc_ring0",
    flowControl: true,
    txTimeoutNs: 30e9,
  });
  const header = readHeader(view);
  assertEquals(header, {
    version: 0x100,
    size: RING_FILE_SIZE,
    sizePacket: SLOT_SIZE,
    path: "/opt/fmadio/queue/lxc_ring0",
    depth: 1024,
    mask: 1023,
    isTxFlowControl: true,
    txTimeoutNs: 30e9,
    pendingBytes: 0,
  });
  assertEquals(headerProblem(header), undefined);
  assertEquals(
    new Uint8Array(buffer, 0, 12),
    Uint8Array.of(0, 1, 0, 0, 0x00, 0x30, 0xc0, 0, 0, 0x30, 0, 0),
  );
  assertEquals(readCounters(view), {
    put: 0,
    putByte: 0,
    putPktTsLow: 0,
    putPktTsHigh: 0,
    get: 0,
    getByte: 0,
    getPktTsLow: 0,
    getPktTsHigh: 0,
  });
});

Deno.test("layout: header problems are named the way the messages need", () => {
  const view = new DataView(new ArrayBuffer(SLOTS_OFFSET));
  writeFreshHeader(view, { path: "r", flowControl: true, txTimeoutNs: 1 });
  const good = readHeader(view);
  assertEquals(
    headerProblem({ ...good, version: 0 }),
    "version 0x0, expected 0x100 (not initialised: no producer has set it up yet)",
  );
  assertEquals(headerProblem({ ...good, version: 0x200 }), "version 0x200, expected 0x100");
  assertMatch(headerProblem({ ...good, size: 10489868 })!, /older ring format/);
  assertMatch(headerProblem({ ...good, sizePacket: 10240 })!, /slot size 10240/);
  assertMatch(headerProblem({ ...good, depth: 1000, mask: 999 })!, /power of two/);
  assertMatch(headerProblem({ ...good, depth: 2048, mask: 2047 })!, /power of two/);
  assertEquals(headerProblem({ ...good, depth: 256, mask: 255 }), undefined);
  assertMatch(headerProblem({ ...good, mask: 1024 })!, /mask 0x400, expected 0x3ff/);
  assertEquals(fileSizeProblem(RING_FILE_SIZE), undefined);
  assertEquals(
    fileSizeProblem(OLD_RING_FILE_SIZE),
    "size 10489868, expected 12595200 (older ring format?)",
  );
  assertEquals(fileSizeProblem(0), "size 0, expected 12595200 (empty file)");
});

Deno.test("layout: slot fields round-trip at their offsets", () => {
  const view = new DataView(new ArrayBuffer(RING_FILE_SIZE));
  const slot = {
    tsLow: 0x89abcdef,
    tsHigh: 0x179f0a2b,
    lengthWire: 1514,
    lengthCapture: 1200,
    port: 3,
    flag: FLAG_FCS_ERROR,
    storageIdLow: 7,
    storageIdHigh: 9,
  };
  const at = slotOffset(5);
  writeSlotFields(view, at, slot);
  assertEquals(readSlot(view, at), slot);
  assertEquals(view.getUint16(at + 8, true), 1514);
  assertEquals(view.getUint16(at + 10, true), 1200);
  assertEquals(view.getUint8(at + 13), 2);
  assertEquals(view.getUint32(at + 16, true), 7);
});

Deno.test("layout: the end-of-stream slot has Flag bit 0, both lengths 0 and the given time", () => {
  const view = new DataView(new ArrayBuffer(SLOT_SIZE));
  writeSlotFields(view, 0, endOfStreamSlot(0x89abcdef, 0x01234567));
  assertEquals(readSlot(view, 0), {
    tsLow: 0x89abcdef,
    tsHigh: 0x01234567,
    lengthWire: 0,
    lengthCapture: 0,
    port: 0,
    flag: FLAG_EOF,
    storageIdLow: 0,
    storageIdHigh: 0,
  });
});

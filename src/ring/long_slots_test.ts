/**
 * Slots longer than the spec's 10,240 bytes (pcap2fmadio copies a packet's
 * whole caplen): the consumer takes up to the 12,264 bytes a slot has, cuts a
 * slot claiming more to that and counts it, through every sink and the
 * filter, with and without flow control.
 */
import { assert, assertEquals } from "../../tests/support/assert.ts";
import { MemoryWriter } from "../../tests/support/memory_io.ts";
import { withTempDir } from "../../tests/support/temp_dir.ts";
import { memoryOfRing } from "../../tests/support/ring_memory.ts";
import { vectorIo } from "../../ffi/vector_io.deno.ts";
import { compileFilter } from "../bpf/compile_filter.ts";
import { consumeFromRing, type ConsumeOptions, type RingPacketSink } from "./consumer.ts";
import { FLAG_EOF, SLOT, SLOT_PAYLOAD_ROOM } from "./layout.ts";
import { pcapSink } from "./pcap_sink.ts";
import type { Ring } from "./ring.ts";
import { openScratchRing } from "./scratch_ring.ts";
import { setFlowControl } from "./staged_slots.ts";
import { textSink } from "./text_sink.ts";
import { vectorPcapSink } from "./vector_sink.ts";

/** LengthCapture of each slot, and the bytes it holds: the last claims more than a slot has. */
const CLAIMS = [12_000, 60, SLOT_PAYLOAD_ROOM, 20_000];
const HELD = [12_000, 60, SLOT_PAYLOAD_ROOM, SLOT_PAYLOAD_ROOM];

function payloadOf(n: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, k) => (n * 101 + k * 7 + (k >> 8)) & 0xff);
}

/** A ring in memory holding the CLAIMS slots (payloads filled to what each holds) and an end of stream. */
function ringOfLongSlots(flowControl: boolean): Ring {
  const ring = openScratchRing();
  setFlowControl(ring, flowControl);
  CLAIMS.forEach((claim, n) => {
    const slot = ring.slotStart(n);
    ring.view.setUint32(slot + SLOT.ts.offset, n, true);
    ring.view.setUint32(slot + SLOT.ts.offset + 4, 0x1800_0000, true);
    ring.view.setUint16(slot + SLOT.lengthWire.offset, claim, true);
    ring.view.setUint16(slot + SLOT.lengthCapture.offset, claim, true);
    ring.bytes.set(payloadOf(n, HELD[n]!), slot + SLOT.payload.offset);
  });
  ring.view.setUint8(ring.slotStart(CLAIMS.length) + SLOT.flag.offset, FLAG_EOF);
  ring.publishPut(CLAIMS.length + 1, 0, 0, 0);
  return ring;
}

/** [caplen, wirelen, payload] of each record of a pcap. */
function parseRecords(pcap: Uint8Array): Array<[number, number, Uint8Array]> {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const out: Array<[number, number, Uint8Array]> = [];
  for (let at = 24; at < pcap.length;) {
    const caplen = view.getUint32(at + 8, true);
    out.push([caplen, view.getUint32(at + 12, true), pcap.slice(at + 16, at + 16 + caplen)]);
    at += 16 + caplen;
  }
  return out;
}

/** The records a correct consumer writes for packets `numbers` of CLAIMS. */
function expected(numbers: readonly number[]): Array<[number, number, Uint8Array]> {
  return numbers.map((n) => [HELD[n]!, CLAIMS[n]!, payloadOf(n, HELD[n]!)]);
}

async function consumeLongSlots(
  flowControl: boolean,
  sink: RingPacketSink,
  options: ConsumeOptions = {},
) {
  const ring = ringOfLongSlots(flowControl);
  try {
    return await consumeFromRing("(memory)", sink, { ...options, memory: memoryOfRing(ring) });
  } finally {
    ring.close();
  }
}

for (const flowControl of [true, false]) {
  const mode = flowControl ? "with flow control" : "without flow control";

  Deno.test(`long slots ${mode}: the pcap sink gets up to 12,264 bytes a slot; a slot claiming more is cut and counted`, async () => {
    const out = new MemoryWriter();
    const summary = await consumeLongSlots(flowControl, pcapSink(out));
    assertEquals([summary.packets, summary.oversized, summary.endOfStream], [4, 1, true]);
    assertEquals(summary.bytes, HELD.reduce((a, b) => a + b));
    assertEquals(parseRecords(out.bytes()), expected([0, 1, 2, 3]));
  });

  Deno.test(`long slots ${mode}: the zero-copy (writev) sink writes the same records`, async () => {
    const io = vectorIo;
    assert(io !== undefined);
    await withTempDir(async (dir) => {
      const path = `${dir}/out.pcap`;
      await Deno.writeFile(path, new Uint8Array(0));
      const fd = io.openWrite(path);
      assert(fd >= 0, `open ${path}: ${fd}`);
      try {
        const summary = await consumeLongSlots(flowControl, vectorPcapSink(fd, io));
        assertEquals([summary.packets, summary.oversized], [4, 1]);
      } finally {
        io.close(fd);
      }
      assertEquals(parseRecords(await Deno.readFile(path)), expected([0, 1, 2, 3]));
    });
  });

  Deno.test(`long slots ${mode}: the filter sees the whole 12,264 bytes, and --print prints them`, async () => {
    const out = new MemoryWriter();
    // `greater 11000`: wire length ≥ 11,000, so every long slot and not the short one.
    const filter = compileFilter("greater 11000").match;
    const summary = await consumeLongSlots(flowControl, pcapSink(out), { filter });
    assertEquals([summary.packets, summary.skipped, summary.oversized], [3, 1, 1]);
    assertEquals(parseRecords(out.bytes()), expected([0, 2, 3]));
    // A filter whose last load is the slot's last byte accepts it only if it saw all of it.
    const lastByte = compileFilter(
      `ether[${SLOT_PAYLOAD_ROOM - 1}] = ${payloadOf(3, SLOT_PAYLOAD_ROOM)[SLOT_PAYLOAD_ROOM - 1]}`,
    ).match;
    const cut = new MemoryWriter();
    const tail = await consumeLongSlots(flowControl, pcapSink(cut), { filter: lastByte });
    assertEquals(parseRecords(cut.bytes()).map(([caplen]) => caplen), [SLOT_PAYLOAD_ROOM]);
    assertEquals(tail.packets, 1);
    const text = new MemoryWriter();
    const printed = await consumeLongSlots(flowControl, textSink(text));
    assertEquals(printed.packets, 4);
    assertEquals(text.text().trimEnd().split("\n").length, 4);
  });
}

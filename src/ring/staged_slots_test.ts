import { assert, assertEquals } from "../../tests/support/assert.ts";
import { memoryOfRing } from "../../tests/support/ring_memory.ts";
import type { PacketBatch } from "../pcap/packet_batch.ts";
import { consumeFromRing, type RingPacketSink } from "./consumer.ts";
import { FLAG_EOF, SLOT, SLOT_PAYLOAD_ROOM, SLOT_SIZE } from "./layout.ts";
import { Ring } from "./ring.ts";
import { openScratchRing } from "./scratch_ring.ts";
import { hasFlowControl, overwrittenPrefix, setFlowControl, stageSlots } from "./staged_slots.ts";

const PAYLOAD = SLOT.payload.offset;

/** A payload byte of packet `n`: every byte depends on the packet, so a mix-up shows. */
function byteOf(n: number, k: number): number {
  return (Math.imul(n + 1, 0x9e3779b1) >>> (8 * (k & 3))) ^ (k * 7) & 0xff;
}

/** What the producer writes for packet `n`: its number in TS, `claim` in LengthCapture. */
function writePacket(ring: Ring, n: number, claim = 60 + (n % 200)): void {
  const slot = ring.slotStart(n);
  ring.view.setUint32(slot + SLOT.ts.offset, n, true);
  ring.view.setUint32(slot + SLOT.ts.offset + 4, 0x1800_0000, true);
  ring.view.setUint16(slot + SLOT.lengthWire.offset, Math.min(claim + 4, 0xffff), true);
  ring.view.setUint16(slot + SLOT.lengthCapture.offset, claim, true);
  ring.view.setUint8(slot + SLOT.flag.offset, 0);
  const held = Math.min(claim, SLOT_PAYLOAD_ROOM);
  for (let k = 0; k < held; k++) ring.bytes[slot + PAYLOAD + k] = byteOf(n, k);
}

/** Packet `n`'s slot bytes as the producer wrote them (header and the payload it holds). */
function slotBytes(ring: Ring, n: number): Uint8Array {
  const slot = ring.slotStart(n);
  const claim = ring.view.getUint16(slot + SLOT.lengthCapture.offset, true);
  return ring.bytes.slice(slot, slot + PAYLOAD + Math.min(claim, SLOT_PAYLOAD_ROOM));
}

/** A ring in memory whose producer does not wait (IsTxFlowControl = 0). */
function ringWithoutFlowControl(): Ring {
  const ring = openScratchRing();
  setFlowControl(ring, false);
  return ring;
}

Deno.test("stageSlots copies each slot's header and the payload bytes it claims (at most a slot's room) into the slot of the same number", () => {
  const ring = ringWithoutFlowControl();
  const staging = openScratchRing();
  try {
    // Packets 1000..1099 wrap around the end of the ring; three are long.
    const claims = new Map([[1010, 12_000], [1011, 20_000], [1012, SLOT_PAYLOAD_ROOM]]);
    for (let n = 1000; n < 1100; n++) writePacket(ring, n, claims.get(n));
    ring.publishPut(1100, 0, 0, 0);
    stageSlots(ring, staging, 1000, 100);
    for (let n = 1000; n < 1100; n++) {
      const copy = slotBytes(staging, n);
      assertEquals(copy, slotBytes(ring, n), `packet ${n}`);
    }
    assertEquals(slotBytes(staging, 1011).length, PAYLOAD + SLOT_PAYLOAD_ROOM);
    // Nothing past a slot's room is written: the next slot (not staged) stays empty.
    const after = staging.slotStart(1100);
    assertEquals(staging.bytes.subarray(after, after + SLOT_SIZE).some((b) => b !== 0), false);
  } finally {
    ring.close();
    staging.close();
  }
});

Deno.test("overwrittenPrefix: a producer lapping the consumer while it copies; every copy kept is intact, and exactly the copies Put cannot vouch for are dropped", () => {
  const ring = ringWithoutFlowControl();
  const staging = openScratchRing();
  try {
    const depth = ring.depth;
    // Packets 0..1499 written (packet n in slot n % 1024); the consumer is at 600.
    let put = 0;
    for (; put < 1500; put++) writePacket(ring, put);
    ring.publishPut(put, 0, 0, 0);
    const from = 600;
    const count = 500;
    const originals = new Map<number, Uint8Array>();
    for (let n = from; n < from + count; n++) originals.set(n, slotBytes(ring, n));
    // Copy one slot at a time; between copies the producer (this test) puts three
    // more packets, publishing Put after each, as FMADPacket_SendV1 does.
    for (let n = from; n < from + count; n++) {
      stageSlots(ring, staging, n, 1);
      for (let k = 0; k < 3; k++, put++) {
        writePacket(ring, put, 1000 + (put % 7));
        ring.publishPut(put + 1, 0, 0, 0);
      }
    }
    const torn = overwrittenPrefix(ring, from, count);
    // Put is now 3000: packets up to 3000 - 1024 = 1976 may have been overwritten.
    assertEquals(put, 3000);
    assertEquals(torn, put - depth + 1 - from > count ? count : put - depth + 1 - from);
    // Between copies the ring moved 3 slots per copied slot: the copies of packets
    // from 600 on were overtaken from ~812 on, so some copies are bad, and all of them
    // lie in the dropped prefix.
    let bad = 0;
    for (let n = from; n < from + count; n++) {
      const intact = String(slotBytes(staging, n)) === String(originals.get(n));
      if (!intact) bad++;
      if (n >= from + torn) assert(intact, `packet ${n} kept, but its copy is not the packet`);
    }
    assert(bad > 0, "the test's producer never overwrote a slot before its copy");
    // No lapping at all: nothing is dropped.
    stageSlots(ring, staging, put - 10, 10);
    assertEquals(overwrittenPrefix(ring, put - 10, 10), 0);
    // Lapped by exactly one packet more than a ring: only the oldest copy is in doubt.
    assertEquals(overwrittenPrefix(ring, put - depth, 10), 1);
  } finally {
    ring.close();
    staging.close();
  }
});

/**
 * A sink that keeps the batches' views until flush, the way the zero-copy
 * sink does; at `write` the test's producer overwrites every slot of the ring
 * (a producer without flow control that laps the consumer after it took them).
 */
function lappedAfterTake(ring: Ring, seen: { sameMemory: boolean[]; packets: Uint8Array[] }) {
  const held: Array<{ bytes: Uint8Array; offset: number; length: number }> = [];
  const sink: RingPacketSink = {
    write(batch: PacketBatch) {
      seen.sameMemory.push(batch.bytes.buffer === ring.bytes.buffer);
      for (let i = 0; i < batch.count; i++) {
        held.push({ bytes: batch.bytes, offset: batch.offset[i]!, length: batch.caplen[i]! });
      }
      for (let n = 0; n < ring.depth; n++) {
        const slot = ring.slotStart(n);
        ring.bytes.fill(0xee, slot + PAYLOAD, slot + PAYLOAD + 2000);
      }
    },
    flush() {
      for (const { bytes, offset, length } of held.splice(0)) {
        seen.packets.push(bytes.slice(offset, offset + length));
      }
      return Promise.resolve();
    },
  };
  return sink;
}

Deno.test("consumer: on a ring without flow control the sink gets copies, which a producer overwriting the ring afterwards cannot change", async () => {
  const ring = ringWithoutFlowControl();
  try {
    for (let n = 0; n < 10; n++) writePacket(ring, n);
    ring.view.setUint8(ring.slotStart(10) + SLOT.flag.offset, FLAG_EOF);
    ring.publishPut(11, 0, 0, 0);
    const expected = Array.from({ length: 10 }, (_, n) => slotBytes(ring, n).subarray(PAYLOAD));
    const seen = { sameMemory: [] as boolean[], packets: [] as Uint8Array[] };
    const summary = await consumeFromRing("(memory)", lappedAfterTake(ring, seen), {
      memory: memoryOfRing(ring),
    });
    assertEquals([summary.packets, summary.lost, summary.endOfStream], [10, 0, true]);
    assertEquals(seen.sameMemory, [false]);
    assertEquals(seen.packets, expected);
  } finally {
    ring.close();
  }
});

Deno.test("consumer: a ring with flow control keeps the zero-copy path (the sink gets the ring's own memory)", async () => {
  const ring = openScratchRing();
  try {
    assert(hasFlowControl(ring));
    for (let n = 0; n < 10; n++) writePacket(ring, n);
    ring.view.setUint8(ring.slotStart(10) + SLOT.flag.offset, FLAG_EOF);
    ring.publishPut(11, 0, 0, 0);
    const seen = { sameMemory: [] as boolean[], packets: [] as Uint8Array[] };
    const summary = await consumeFromRing("(memory)", lappedAfterTake(ring, seen), {
      memory: memoryOfRing(ring),
    });
    assertEquals([summary.packets, summary.endOfStream], [10, true]);
    assertEquals(seen.sameMemory, [true]);
    // (Here the test's overwriting producer broke the protocol: what it wrote shows.)
    assert(seen.packets.every((p) => p.every((b) => b === 0xee)));
  } finally {
    ring.close();
  }
});

/**
 * Taking slots from a ring without flow control (IsTxFlowControl = 0, as
 * pcap2fmadio creates its rings). Such a producer never waits for Get: once
 * it is a ring ahead it overwrites slots the consumer has not read yet, may
 * be overwriting one while the consumer reads it, and, because the zero-copy
 * sink hands payloads to writev(2) only when it flushes, may overwrite one
 * after the consumer looked at it. So the consumer copies the slots it takes
 * from such a ring into memory of its own first (a staging ring: the same
 * layout, each packet in the slot of its own number), then checks which
 * copies are intact, drops the others (counted as lost), and gives the sink
 * only the copies, which nothing else writes.
 *
 * Why the check is sound. The producer writes packet n into slot n & mask and
 * only then publishes Put = n + 1 (FMADPacket_SendV1: memcpy, sfence,
 * Put += 1), so it starts writing packet n + depth into packet n's slot only
 * after it published Put = n + depth, and its stores become visible in that
 * order. If any byte we copied from packet n's slot already came from packet
 * n + depth (or later), Put = n + depth was visible before that byte was, and
 * a load of Put made after all the copies returns at least n + depth.
 * Contrapositive: if Put loaded after the copies is below n + depth, every
 * byte copied for packet n (header and payload) is packet n's. The copies
 * were read from slots below the Put loaded before them (an acquire load), so
 * they were complete then. Intact iff putAfter - n < depth; the slots that
 * fail are the oldest, a prefix of the batch.
 *
 * "After all the copies" holds because V8 keeps typed-array accesses and
 * Atomics operations in program order, x86 does not reorder loads with
 * loads, and on CPUs that do (aarch64) the Atomics read-modify-write before
 * the Put load is a barrier the copies' loads cannot pass.
 *
 * The check assumes the producer publishes Put after every packet, as the
 * spec's producer does; one that wrote several packets before publishing
 * could overwrite a slot while Put still said it was intact.
 */
import { WORD_COPY_MAX } from "./copy_bytes.ts";
import {
  HEADER,
  LENGTH_CAPTURE_SHIFT,
  SLOT,
  SLOT_PAYLOAD_ROOM,
  SLOT_WORD,
  SLOT_WORDS,
  SLOTS_WORD,
} from "./layout.ts";
import type { Ring } from "./ring.ts";

const FLOW_CONTROL_WORD = HEADER.isTxFlowControl.offset / 4;
const LENGTHS_WORD = SLOT_WORD.lengths;
const PAYLOAD_WORD = SLOT.payload.offset / 4;
/** A word only this module touches: the read-modify-write on it is the barrier before Put's load. */
const BARRIER = new Int32Array(1);

/** True when the ring's producer waits for the consumer (IsTxFlowControl is not 0). */
export function hasFlowControl(ring: Ring): boolean {
  return ring.words[FLOW_CONTROL_WORD] !== 0;
}

/** Sets IsTxFlowControl (of a scratch ring: a consumer never writes a real ring's header). */
export function setFlowControl(ring: Ring, on: boolean): void {
  ring.words[FLOW_CONTROL_WORD] = on ? 1 : 0;
}

/**
 * Copies slots [from, from + count) of `ring` (unmasked packet numbers) into
 * the slots of the same numbers in `staging` (masked with staging's own mask,
 * so a staging ring of the full depth serves a ring of any depth): the slot
 * header, and as many payload bytes as the copied LengthCapture claims, at
 * most SLOT_PAYLOAD_ROOM. The header and payload of a copy therefore agree
 * even when the slot was being overwritten (overwrittenPrefix then drops it).
 * Allocation-free up to WORD_COPY_MAX bytes a packet; longer ones cost one
 * subarray object each (a typed-array `set` beats the word loop there).
 */
export function stageSlots(ring: Ring, staging: Ring, from: number, count: number): void {
  const src = ring.words;
  const dst = staging.words;
  const srcBytes = ring.bytes;
  const dstBytes = staging.bytes;
  const srcMask = ring.mask;
  const dstMask = staging.mask;
  const end = from + count;
  for (let n = from; n < end; n++) {
    const s = SLOTS_WORD + (n & srcMask) * SLOT_WORDS;
    const d = SLOTS_WORD + (n & dstMask) * SLOT_WORDS;
    // The six header words: TS, lengths, port/flag/padding, StorageID. The
    // lengths word is read once, so the copy's payload length is the one its header says.
    const lengths = src[s + LENGTHS_WORD]!;
    dst[d] = src[s]!;
    dst[d + 1] = src[s + 1]!;
    dst[d + LENGTHS_WORD] = lengths;
    dst[d + 3] = src[s + 3]!;
    dst[d + 4] = src[s + 4]!;
    dst[d + 5] = src[s + 5]!;
    let length = lengths >>> LENGTH_CAPTURE_SHIFT;
    if (length > SLOT_PAYLOAD_ROOM) length = SLOT_PAYLOAD_ROOM;
    if (length <= WORD_COPY_MAX) {
      const last = s + PAYLOAD_WORD + ((length + 3) >> 2);
      for (let w = s + PAYLOAD_WORD, to = d + PAYLOAD_WORD; w < last; w++, to++) dst[to] = src[w]!;
    } else {
      const at = (s + PAYLOAD_WORD) * 4;
      dstBytes.set(srcBytes.subarray(at, at + length), (d + PAYLOAD_WORD) * 4);
    }
  }
}

/**
 * Of the slots [from, from + count) that stageSlots copied before this call,
 * how many may hold bytes of a later packet (see the module comment): they
 * are the first ones; the copies of the rest are intact.
 */
export function overwrittenPrefix(ring: Ring, from: number, count: number): number {
  Atomics.add(BARRIER, 0, 0);
  const firstIntact = ring.loadPut() - ring.depth + 1;
  const torn = firstIntact - from;
  return torn <= 0 ? 0 : torn < count ? torn : count;
}

/**
 * Captures whose every packet says which one it is, everywhere: its number
 * is in its timestamp (1 µs steps), in payload bytes 16-19, and mixed into
 * every later payload word. A record whose header belongs to one packet and
 * whose payload (from any word on) to another is therefore caught by
 * comparing it with the input record its timestamp names.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { encodePcapFileHeader } from "../../src/pcap/pcap_format.ts";
import { LINKTYPE_ETHERNET, MAX_SNAPLEN } from "../../src/pcap/link_type.ts";

const BASE_SEC = 1_700_000_000;
const STEP_NS = 1000;
/** Payload offset of the packet's number (after an Ethernet header and two bytes). */
export const NUMBER_AT = 16;

export interface NumberedCapture {
  /** A nanosecond Ethernet pcap. */
  readonly pcap: Uint8Array;
  /** Start of packet n's record in `pcap`, and (at n = count) the end of the last. */
  readonly starts: readonly number[];
}

/** `count` packets of the sizes `sizes` (cycled); wire length is size + n % 3. */
export function numberedCapture(count: number, sizes: readonly number[]): NumberedCapture {
  let total = 24;
  for (let n = 0; n < count; n++) total += 16 + sizes[n % sizes.length]!;
  const pcap = new Uint8Array(total);
  const view = new DataView(pcap.buffer);
  pcap.set(encodePcapFileHeader(LINKTYPE_ETHERNET, MAX_SNAPLEN, true));
  const starts: number[] = [];
  let at = 24;
  for (let n = 0; n < count; n++) {
    const size = sizes[n % sizes.length]!;
    starts.push(at);
    const ns = n * STEP_NS;
    view.setUint32(at, BASE_SEC + Math.floor(ns / 1e9), true);
    view.setUint32(at + 4, ns % 1e9, true);
    view.setUint32(at + 8, size, true);
    view.setUint32(at + 12, size + (n % 3), true);
    const data = at + 16;
    for (let k = 0; k < 12; k++) pcap[data + k] = 0x02 + k;
    pcap[data + 12] = 0x08; // IPv4 ethertype, so printers see a plausible frame
    const mixed = Math.imul(n + 1, 0x9e3779b1);
    for (let k = NUMBER_AT; k + 4 <= size; k += 4) {
      view.setUint32(
        data + k,
        k === NUMBER_AT ? n : (mixed + Math.imul(k, 0x01000193)) >>> 0,
        true,
      );
    }
    for (let k = size & ~3; k < size; k++) pcap[data + k] = (mixed >>> (8 * (k & 3))) & 0xff;
    at = data + size;
  }
  starts.push(at);
  return { pcap, starts };
}

/**
 * Checks that the pcap records `output` (after its file header) are each
 * byte-identical to the input record of the packet its timestamp names,
 * that payload and header name the same packet, and that they come in
 * order; returns the packet numbers in output order.
 */
export function checkNumberedRecords(output: Uint8Array, input: NumberedCapture): number[] {
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  const count = input.starts.length - 1;
  const seen: number[] = [];
  let at = 24;
  while (at < output.length) {
    assert(at + 16 <= output.length, `a cut record header at byte ${at}`);
    const ns = (view.getUint32(at, true) - BASE_SEC) * 1e9 + view.getUint32(at + 4, true);
    const n = ns / STEP_NS;
    assert(Number.isInteger(n) && n >= 0 && n < count, `record at ${at}: no packet has time ${ns}`);
    const length = 16 + view.getUint32(at + 8, true);
    const expected = input.pcap.subarray(input.starts[n]!, input.starts[n + 1]!);
    const actual = output.subarray(at, at + length);
    if (length >= 16 + NUMBER_AT + 4) {
      assertEquals(view.getUint32(at + 16 + NUMBER_AT, true), n, `packet ${n}: payload names`);
    }
    assertEquals(actual.length, expected.length, `packet ${n}: record length`);
    let same = 0;
    while (same < actual.length && actual[same] === expected[same]) same++;
    assertEquals(same, actual.length, `packet ${n}: record differs from byte ${same}`);
    if (seen.length > 0) assert(n > seen[seen.length - 1]!, `packet ${n} after ${seen.at(-1)}`);
    seen.push(n);
    at += length;
  }
  return seen;
}

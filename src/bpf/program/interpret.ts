/**
 * The reference runner for classic BPF, with libpcap 1.10's runtime semantics
 * (bpf_filter.c): a load past the captured bytes or a division by X = 0
 * rejects the packet (returns 0); arithmetic is unsigned 32-bit; a shift by
 * X >= 32 gives 0 while a shift by a constant uses its low 5 bits (what the
 * C code does on x86); scratch memory starts at 0 for every packet.
 */
import type { RawProgram } from "./raw_instruction.ts";
import { type PreparedProgram, prepareProgram } from "./prepared_program.ts";

/**
 * Backward `ja` jumps allowed per packet before the packet is rejected. libpcap
 * 1.10 has no bound; its `protochain` loop takes one backward jump per header
 * of at least 8 bytes, so 65536 covers every packet up to 512 KiB exactly
 * while still bounding a hostile program.
 */
export const MAX_BACKWARD_JUMPS = 65536;

/** Filter verdict for one packet: libpcap's return value (0 = reject, else bytes to keep). */
export type PacketMatcher = (
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
) => number;

const scratch = new Uint32Array(16);

/**
 * Runs `program` on the packet `bytes[offset .. offset+caplen)` whose wire
 * length is `wirelen`. Validates the program the first time it is seen
 * (throwing `InvalidProgramError`).
 */
export function interpret(
  program: RawProgram,
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
): number {
  return runPrepared(prepareProgram(program), bytes, offset, caplen, wirelen);
}

/** A matcher that interprets `program` (validated now). */
export function interpreterMatcher(program: RawProgram): PacketMatcher {
  const prepared = prepareProgram(program);
  return (bytes, offset, caplen, wirelen) => runPrepared(prepared, bytes, offset, caplen, wirelen);
}

/** The trusting loop: `p` has been validated. */
export function runPrepared(
  p: PreparedProgram,
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
): number {
  const codes = p.code;
  const ks = p.k;
  const mem = scratch;
  if (p.usesScratch) mem.fill(0);
  // A buffer shorter than the claimed caplen must never be read past.
  const len = caplen < bytes.length - offset ? caplen : Math.max(0, bytes.length - offset);
  let a = 0;
  let x = 0;
  let backward = 0;
  let pc = 0;
  for (;;) {
    const code = codes[pc]!;
    const k = ks[pc]!;
    switch (code) {
      case 0x06: // ret #k
        return k;
      case 0x16: // ret a
        return a;
      case 0x20: // ld [k]
        if (k + 4 > len) return 0;
        a = readWord(bytes, offset + k);
        break;
      case 0x28: // ldh [k]
        if (k + 2 > len) return 0;
        a = (bytes[offset + k]! << 8) | bytes[offset + k + 1]!;
        break;
      case 0x30: // ldb [k]
        if (k >= len) return 0;
        a = bytes[offset + k]!;
        break;
      case 0x80: // ld #pktlen
        a = wirelen >>> 0;
        break;
      case 0x81: // ldx #pktlen
        x = wirelen >>> 0;
        break;
      case 0x40: // ld [x + k]
        if (x + k + 4 > len) return 0;
        a = readWord(bytes, offset + x + k);
        break;
      case 0x48: // ldh [x + k]
        if (x + k + 2 > len) return 0;
        a = (bytes[offset + x + k]! << 8) | bytes[offset + x + k + 1]!;
        break;
      case 0x50: // ldb [x + k]
        if (x + k >= len) return 0;
        a = bytes[offset + x + k]!;
        break;
      case 0xb1: // ldxb 4*([k]&0xf)
        if (k >= len) return 0;
        x = (bytes[offset + k]! & 0xf) << 2;
        break;
      case 0x00: // ld #k
        a = k;
        break;
      case 0x01: // ldx #k
        x = k;
        break;
      case 0x60: // ld M[k]
        a = mem[k]!;
        break;
      case 0x61: // ldx M[k]
        x = mem[k]!;
        break;
      case 0x02: // st M[k]
        mem[k] = a;
        break;
      case 0x03: // stx M[k]
        mem[k] = x;
        break;
      case 0x05: // ja
        if ((k | 0) < 0 && ++backward > MAX_BACKWARD_JUMPS) return 0;
        pc += k | 0;
        break;
      case 0x25: // jgt #k
        pc += a > k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case 0x35: // jge #k
        pc += a >= k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case 0x15: // jeq #k
        pc += a === k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case 0x45: // jset #k
        pc += (a & k) !== 0 ? p.jt[pc]! : p.jf[pc]!;
        break;
      case 0x2d: // jgt x
        pc += a > x ? p.jt[pc]! : p.jf[pc]!;
        break;
      case 0x3d: // jge x
        pc += a >= x ? p.jt[pc]! : p.jf[pc]!;
        break;
      case 0x1d: // jeq x
        pc += a === x ? p.jt[pc]! : p.jf[pc]!;
        break;
      case 0x4d: // jset x
        pc += (a & x) !== 0 ? p.jt[pc]! : p.jf[pc]!;
        break;
      case 0x0c: // add x
        a = (a + x) >>> 0;
        break;
      case 0x1c: // sub x
        a = (a - x) >>> 0;
        break;
      case 0x2c: // mul x
        a = Math.imul(a, x) >>> 0;
        break;
      case 0x3c: // div x
        if (x === 0) return 0;
        a = (a / x) >>> 0;
        break;
      case 0x9c: // mod x
        if (x === 0) return 0;
        a = a % x;
        break;
      case 0x5c: // and x
        a = (a & x) >>> 0;
        break;
      case 0x4c: // or x
        a = (a | x) >>> 0;
        break;
      case 0xac: // xor x
        a = (a ^ x) >>> 0;
        break;
      case 0x6c: // lsh x
        a = x < 32 ? (a << x) >>> 0 : 0;
        break;
      case 0x7c: // rsh x
        a = x < 32 ? a >>> x : 0;
        break;
      case 0x04: // add #k
        a = (a + k) >>> 0;
        break;
      case 0x14: // sub #k
        a = (a - k) >>> 0;
        break;
      case 0x24: // mul #k
        a = Math.imul(a, k) >>> 0;
        break;
      case 0x34: // div #k (k != 0: validated)
        a = (a / k) >>> 0;
        break;
      case 0x94: // mod #k (k != 0: validated)
        a = a % k;
        break;
      case 0x54: // and #k
        a = (a & k) >>> 0;
        break;
      case 0x44: // or #k
        a = (a | k) >>> 0;
        break;
      case 0xa4: // xor #k
        a = (a ^ k) >>> 0;
        break;
      case 0x64: // lsh #k: the count's low 5 bits, as x86 shifts
        a = (a << k) >>> 0;
        break;
      case 0x74: // rsh #k
        a = a >>> k;
        break;
      case 0x84: // neg
        a = -a >>> 0;
        break;
      case 0x07: // tax
        x = a;
        break;
      case 0x87: // txa
        a = x;
        break;
      default:
        return 0; // unreachable for a validated program
    }
    pc++;
  }
}

function readWord(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>>
    0;
}

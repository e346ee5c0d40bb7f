/**
 * Seeded generators of valid classic BPF programs and of packets, for the
 * differential tests. Programs come from a grammar of every instruction
 * shape, with packet offsets and constants biased towards the boundaries
 * where runners go wrong (caplen edges, 2^31, 2^32 - 1, shifts >= 32).
 */
import type { RawInstruction } from "../../src/bpf/program/raw_instruction.ts";

/** mulberry32: a small, fast, seedable PRNG. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const INTERESTING = [
  0,
  1,
  2,
  3,
  4,
  7,
  8,
  12,
  14,
  31,
  32,
  33,
  0x45,
  0x800,
  0x86dd,
  0xff,
  0xffff,
  0x7fffffff,
  0x80000000,
  0xfffffffe,
  0xffffffff,
];

function constant(rng: Rng): number {
  return rng.chance(0.6) ? rng.pick(INTERESTING) : rng.int(0x100000000);
}

function packetOffset(rng: Rng): number {
  return rng.chance(0.9) ? rng.int(72) : rng.pick([0xffffffff, 0xfffffffc, 0x7fffffff, 1000]);
}

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0];
const JUMP_OPS = [0x10, 0x20, 0x30, 0x40];

export interface ProgramShape {
  /** Allow backward `ja` loops (which libpcap 1.10 runs unbounded). */
  readonly loops?: boolean;
  /** Write 0 to every scratch slot first (libpcap 1.10 leaves them uninitialised). */
  readonly clearScratch?: boolean;
  readonly maxLength?: number;
}

/** One random instruction at `pc` in a program of `length` (never the last one). */
function randomInstruction(rng: Rng, pc: number, length: number, shape: ProgramShape) {
  const room = length - pc - 2; // jumps may land anywhere up to the final return
  const r = rng.int(100);
  const insn = (code: number, k = 0, jt = 0, jf = 0): RawInstruction => ({
    code,
    jt,
    jf,
    k: k >>> 0,
  });
  if (r < 14) return insn(rng.pick([0x20, 0x28, 0x30]), packetOffset(rng));
  if (r < 20) return insn(rng.pick([0x40, 0x48, 0x50]), packetOffset(rng));
  if (r < 24) return insn(0xb1, packetOffset(rng));
  if (r < 30) return insn(rng.pick([0x00, 0x01]), constant(rng));
  if (r < 32) return insn(rng.pick([0x80, 0x81]));
  if (r < 38) return insn(rng.pick([0x60, 0x61, 0x02, 0x03]), rng.int(16));
  if (r < 52) {
    const op = rng.pick(ALU_OPS);
    let k = constant(rng);
    if ((op === 0x30 || op === 0x90) && k === 0) k = 3;
    if ((op === 0x60 || op === 0x70) && rng.chance(0.7)) k = rng.int(40);
    return insn(0x04 | op, k);
  }
  if (r < 60) return insn(0x0c | rng.pick(ALU_OPS));
  if (r < 62) return insn(0x84);
  if (r < 66) return insn(rng.pick([0x07, 0x87]));
  if (r < 88 && room >= 0) {
    const src = rng.chance(0.25) ? 0x08 : 0x00;
    const jt = rng.int(Math.min(room, 255) + 1);
    const jf = rng.int(Math.min(room, 255) + 1);
    return insn(0x05 | rng.pick(JUMP_OPS) | src, src ? 0 : constant(rng), jt, jf);
  }
  if (r < 92 && room >= 0) {
    if (shape.loops && pc > 0 && rng.chance(0.3)) return insn(0x05, -1 - (1 + rng.int(pc)));
    return insn(0x05, rng.int(room + 1));
  }
  if (r < 96) return insn(0x06, rng.pick([0, 1, 96, 262144, 0xffffffff]));
  return insn(0x16);
}

/** A random program that passes validation. */
export function randomProgram(rng: Rng, shape: ProgramShape = {}): RawInstruction[] {
  const prefix: RawInstruction[] = [];
  if (shape.clearScratch) {
    for (let slot = 0; slot < 16; slot++) prefix.push({ code: 0x02, jt: 0, jf: 0, k: slot });
  }
  const length = 1 + rng.int(shape.maxLength ?? 40);
  const body: RawInstruction[] = [];
  for (let pc = 0; pc < length - 1; pc++) body.push(randomInstruction(rng, pc, length, shape));
  body.push(
    rng.chance(0.5) ? { code: 0x16, jt: 0, jf: 0, k: 0 } : { code: 0x06, jt: 0, jf: 0, k: 1 },
  );
  // A backward ja to itself is invalid; the generator never targets pc itself (-1 - (1+n)).
  return [...prefix, ...body];
}

export interface TestPacket {
  readonly data: Uint8Array;
  readonly wirelen: number;
}

/** A random packet: often short, often with IPv4/IPv6-looking bytes. */
export function randomPacket(rng: Rng): TestPacket {
  const length = rng.chance(0.3) ? rng.int(16) : rng.int(80);
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    data[i] = rng.chance(0.5)
      ? rng.int(256)
      : rng.pick([0, 1, 0x45, 0x08, 0x86, 0xdd, 0x11, 0x06, 0xff]);
  }
  return { data, wirelen: length + (rng.chance(0.5) ? 0 : rng.int(1500)) };
}

/**
 * A random program shaped like compiled filters, for the optimiser: blocks
 * that load one of a few packet bytes (or keep A) and test it with a cascade
 * of `jeq` (true edges meeting, as `ip proto tcp or udp` compiles) or a
 * `jgt`/`jge`/`jset`, jumping to later blocks or to `ret #1`/`ret #0`; now
 * and then X, scratch memory and arithmetic. The same fields are tested
 * again and again, as in real filters, and `filterLikePacket` gives bytes
 * that take both ways of every test.
 */
export function filterLikeProgram(rng: Rng): RawInstruction[] {
  const blocks = 2 + rng.int(10);
  // Symbolic code: targets are block numbers; `blocks` = ret #1, `blocks + 1` = ret #0.
  type Symbolic = { code: number; k: number; onTrue?: number; onFalse?: number };
  const code: Symbolic[][] = [];
  const later = (b: number) => b + 1 + rng.int(blocks + 2 - b - 1);
  for (let b = 0; b < blocks; b++) {
    const block: Symbolic[] = [];
    const r = rng.int(100);
    if (r < 60) block.push({ code: 0x30, k: rng.int(3) });
    else if (r < 68) block.push({ code: 0x28, k: rng.int(2) });
    else if (r < 72) block.push({ code: 0x00, k: rng.int(4) });
    if (rng.chance(0.15)) {
      block.push(
        rng.pick([
          { code: 0x07, k: 0 },
          { code: 0x87, k: 0 },
          { code: 0xb1, k: rng.int(3) },
          { code: 0x02, k: rng.int(2) },
          { code: 0x60, k: rng.int(2) },
          { code: rng.pick([0x04, 0x54, 0x34]), k: 1 + rng.int(3) },
        ]),
      );
    }
    const onTrue = later(b);
    const onFalse = later(b);
    if (rng.chance(0.6)) {
      const tests = 1 + rng.int(3);
      for (let t = 0; t < tests; t++) {
        block.push({ code: 0x15, k: rng.int(4), onTrue, onFalse: t === tests - 1 ? onFalse : -1 });
      }
    } else {
      const op = rng.pick([0x25, 0x35, 0x45, 0x1d]);
      block.push({ code: op, k: op === 0x45 ? 1 + rng.int(3) : rng.int(4), onTrue, onFalse });
    }
    if (rng.chance(0.1)) block.push({ code: 0x06, k: rng.pick([0, 2]) });
    code.push(block);
  }
  const start: number[] = [];
  let at = 0;
  for (const block of code) {
    start.push(at);
    at += block.length;
  }
  start.push(at, at + 1);
  const program: RawInstruction[] = [];
  for (const block of code) {
    for (const s of block) {
      const pc = program.length;
      const to = (t: number | undefined) => (t === -1 ? pc + 1 : start[t!]!) - pc - 1;
      if ((s.code & 0x07) === 0x05) {
        program.push({ code: s.code, jt: to(s.onTrue), jf: to(s.onFalse), k: s.k });
      } else {
        program.push({ code: s.code, jt: 0, jf: 0, k: s.k });
      }
    }
  }
  program.push({ code: 0x06, jt: 0, jf: 0, k: 1 }, { code: 0x06, jt: 0, jf: 0, k: 0 });
  return program;
}

/** A packet of up to 6 bytes, each 0..3 (the constants filterLikeProgram tests). */
export function filterLikePacket(rng: Rng): TestPacket {
  const length = rng.chance(0.85) ? 6 : rng.int(6);
  const data = Uint8Array.from({ length }, () => rng.int(4));
  return { data, wirelen: length };
}

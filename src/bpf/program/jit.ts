/**
 * Compiles a validated classic BPF program into a JavaScript function (via
 * `new Function`) that V8 then optimises like hand-written code: registers and
 * scratch slots become locals, a load checks the captured length unless every
 * path to it has already checked as much (a failed check returns 0), and
 * jumps become `break` out of nested labelled blocks (a forward-only program
 * is a DAG, so every jump target can be the end of a block that encloses all
 * of its sources). Programs with a backward `ja` (libpcap's `protochain`) or
 * with very many jump targets use a `switch` inside a loop instead.
 *
 * Semantics are exactly the interpreter's (interpret.ts); the differential
 * tests hold them together.
 */
import type { RawInstruction, RawProgram } from "./raw_instruction.ts";
import { hasBackwardJump, validateProgram } from "./validate.ts";
import { interpreterMatcher, MAX_BACKWARD_JUMPS, type PacketMatcher } from "./interpret.ts";
import { BPF_JA, BPF_JMP, BPF_RET, bpfClass } from "./opcodes.ts";

export type { PacketMatcher };

/** Beyond this many jump targets the labelled-block nesting gets deep; use the switch form. */
const MAX_NESTED_LABELS = 400;

/**
 * Programs longer than this run in the interpreter: their source would be
 * megabytes that V8 compiles slowly and declines to optimise anyway.
 */
export const MAX_JIT_INSTRUCTIONS = 16384;

/** Validates `program` (throwing `InvalidProgramError`) and compiles it to a matcher. */
export function jitCompile(program: RawProgram): PacketMatcher {
  if (program.length > MAX_JIT_INSTRUCTIONS) return interpreterMatcher(program);
  const source = jitSource(program);
  return new Function(source)() as PacketMatcher;
}

/** The JavaScript source `jitCompile` evaluates: a body returning the matcher function. */
export function jitSource(program: RawProgram): string {
  validateProgram(program);
  const reachable = reachableInstructions(program);
  const targets = jumpTargets(program, reachable);
  const loop = hasBackwardJump(program) || targets.size > MAX_NESTED_LABELS;
  const scratch = usedScratchSlots(program, reachable);
  const lines: string[] = [
    `"use strict";`,
    `return function bpfMatcher(b, o, caplen, wirelen) {`,
    `if (caplen > b.length - o) caplen = b.length - o > 0 ? b.length - o : 0;`,
    `let a = 0, x = 0, i = 0;`,
  ];
  if (scratch.length > 0) lines.push(`let ${scratch.map((s) => `m${s} = 0`).join(", ")};`);
  const emitter = loop ? loopEmitter(program, targets, lines) : blockEmitter(targets, lines);
  // Bytes every path to an instruction has already checked; loops get no such knowledge.
  // Forward programs first check the length any accepting path needs, once.
  const needed = loop ? 0 : acceptingLength(program);
  if (needed > 0) lines.push(`if (caplen < ${needed}) return 0;`);
  const checked = loop
    ? new Float64Array(program.length)
    : checkedLengths(program, reachable, needed);
  emitter.begin();
  for (let pc = 0; pc < program.length; pc++) {
    if (!reachable[pc]) continue;
    emitter.enter(pc);
    const insn = program[pc]!;
    const jump = (to: number) => emitter.jump(pc, to);
    lines.push(instructionCode(insn.code, insn.jt, insn.jf, insn.k, pc, jump, checked[pc]!));
  }
  emitter.end();
  lines.push(`};`);
  return lines.join("\n");
}

interface Emitter {
  begin(): void;
  enter(pc: number): void;
  /** Code that continues at `to` from the instruction at `from` (empty when it falls through). */
  jump(from: number, to: number): string;
  end(): void;
}

function blockEmitter(targets: ReadonlySet<number>, lines: string[]): Emitter {
  const sorted = [...targets].sort((x, y) => y - x);
  return {
    begin: () => {
      for (const t of sorted) lines.push(`L${t}: {`);
    },
    enter: (pc) => {
      if (targets.has(pc)) lines.push(`} // L${pc}`);
    },
    jump: (from, to) => (to === from + 1 ? "" : `break L${to};`),
    end: () => {},
  };
}

function loopEmitter(program: RawProgram, targets: ReadonlySet<number>, lines: string[]): Emitter {
  return {
    begin: () => {
      lines.push(`let pc = 0, back = 0;`, `for (;;) {`, `switch (pc) {`, `case 0:`);
    },
    enter: (pc) => {
      if (pc !== 0 && targets.has(pc)) lines.push(`case ${pc}:`);
    },
    jump: (from, to) => {
      if (to === from + 1) return "";
      const insn = program[from]!;
      const backward = insn.code === (BPF_JMP | BPF_JA) && to <= from;
      const guard = backward ? `if (++back > ${MAX_BACKWARD_JUMPS}) return 0; ` : "";
      return `{ ${guard}pc = ${to}; continue; }`;
    },
    end: () => {
      lines.push(`default: return 0;`, `}`, `}`);
    },
  };
}

const LOAD_CHECKED: Readonly<Record<number, [size: number, indirect: boolean]>> = {
  0x20: [4, false],
  0x28: [2, false],
  0x30: [1, false],
  0x40: [4, true],
  0x48: [2, true],
  0x50: [1, true],
};

const READ: Readonly<Record<number, string>> = {
  4: `a = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;`,
  2: `a = (b[i] << 8) | b[i + 1];`,
  1: `a = b[i];`,
};

const ALU_K: Readonly<Record<number, (k: number) => string>> = {
  0x04: (k) => `a = (a + ${k}) >>> 0;`,
  0x14: (k) => `a = (a - ${k}) >>> 0;`,
  0x24: (k) => `a = Math.imul(a, ${k}) >>> 0;`,
  0x34: (k) => `a = (a / ${k}) >>> 0;`,
  0x94: (k) => `a = a % ${k};`,
  0x54: (k) => `a = (a & ${k}) >>> 0;`,
  0x44: (k) => `a = (a | ${k}) >>> 0;`,
  0xa4: (k) => `a = (a ^ ${k}) >>> 0;`,
  0x64: (k) => `a = (a << ${k & 31}) >>> 0;`,
  0x74: (k) => `a = a >>> ${k & 31};`,
};

const ALU_X: Readonly<Record<number, string>> = {
  0x0c: `a = (a + x) >>> 0;`,
  0x1c: `a = (a - x) >>> 0;`,
  0x2c: `a = Math.imul(a, x) >>> 0;`,
  0x3c: `if (x === 0) return 0; a = (a / x) >>> 0;`,
  0x9c: `if (x === 0) return 0; a = a % x;`,
  0x5c: `a = (a & x) >>> 0;`,
  0x4c: `a = (a | x) >>> 0;`,
  0xac: `a = (a ^ x) >>> 0;`,
  0x6c: `a = x < 32 ? (a << x) >>> 0 : 0;`,
  0x7c: `a = x < 32 ? a >>> x : 0;`,
};

const CONDITION: Readonly<Record<number, (k: number) => string>> = {
  0x15: (k) => `a === ${k}`,
  0x25: (k) => `a > ${k}`,
  0x35: (k) => `a >= ${k}`,
  0x45: (k) => `(a & ${k}) !== 0`,
  0x1d: () => `a === x`,
  0x2d: () => `a > x`,
  0x3d: () => `a >= x`,
  0x4d: () => `(a & x) !== 0`,
};

function instructionCode(
  code: number,
  jt: number,
  jf: number,
  k: number,
  pc: number,
  jump: (to: number) => string,
  checked: number,
): string {
  const load = LOAD_CHECKED[code];
  if (load !== undefined) {
    const [size, indirect] = load;
    if (indirect) {
      return `if (x + ${k + size} > caplen) return 0; i = o + x + ${k}; ${READ[size]}`;
    }
    const check = k + size <= checked ? "" : `if (caplen < ${k + size}) return 0; `;
    return `${check}i = o + ${k}; ${READ[size]}`;
  }
  const aluK = ALU_K[code];
  if (aluK !== undefined) return aluK(k);
  const aluX = ALU_X[code];
  if (aluX !== undefined) return aluX;
  const condition = CONDITION[code];
  if (condition !== undefined) {
    const onTrue = jump(pc + 1 + jt);
    const onFalse = jump(pc + 1 + jf);
    if (onTrue === onFalse) return onTrue;
    if (onFalse === "") return `if (${condition(k)}) ${onTrue}`;
    if (onTrue === "") return `if (!(${condition(k)})) ${onFalse}`;
    return `if (${condition(k)}) ${onTrue} else ${onFalse}`;
  }
  switch (code) {
    case 0x06:
      return `return ${k};`;
    case 0x16:
      return `return a;`;
    case 0x80:
      return `a = wirelen >>> 0;`;
    case 0x81:
      return `x = wirelen >>> 0;`;
    case 0xb1:
      return `${
        k + 1 <= checked ? "" : `if (caplen <= ${k}) return 0; `
      }x = (b[o + ${k}] & 15) << 2;`;
    case 0x00:
      return `a = ${k};`;
    case 0x01:
      return `x = ${k};`;
    case 0x60:
      return `a = m${k};`;
    case 0x61:
      return `x = m${k};`;
    case 0x02:
      return `m${k} = a;`;
    case 0x03:
      return `m${k} = x;`;
    case 0x05:
      return jump(pc + 1 + (k | 0));
    case 0x84:
      return `a = -a >>> 0;`;
    case 0x07:
      return `x = a;`;
    case 0x87:
      return `a = x;`;
  }
  return `return 0;`; // not reached: the program was validated
}

/** Instructions reachable from the entry along jumps and fall-throughs. */
export function reachableInstructions(program: RawProgram): boolean[] {
  const seen = new Array<boolean>(program.length).fill(false);
  const stack = [0];
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (pc >= program.length || seen[pc]) continue;
    seen[pc] = true;
    const first = firstSuccessor(program[pc]!, pc);
    if (first >= 0) stack.push(first);
    const second = secondSuccessor(program[pc]!, pc);
    if (second >= 0) stack.push(second);
  }
  return seen;
}

// Where control can go after instruction `pc`: the first and the second place (-1: none). Two
// functions rather than an array of successors: fewer objects in a process's first compile.

function firstSuccessor(insn: RawInstruction, pc: number): number {
  const cls = bpfClass(insn.code);
  if (cls === BPF_RET) return -1;
  if (cls !== BPF_JMP) return pc + 1;
  if (insn.code === (BPF_JMP | BPF_JA)) return pc + 1 + (insn.k | 0);
  return pc + 1 + insn.jt;
}

function secondSuccessor(insn: RawInstruction, pc: number): number {
  if (bpfClass(insn.code) !== BPF_JMP || insn.code === (BPF_JMP | BPF_JA)) return -1;
  return insn.jt === insn.jf ? -1 : pc + 1 + insn.jf;
}

/** Bytes needed by an absolute load (or ldxb 4*([k]&0xf)), which it checks against caplen. */
function absoluteEnd(code: number, k: number): number {
  const load = LOAD_CHECKED[code];
  if (load !== undefined && !load[1]) return k + load[0];
  return code === 0xb1 ? k + 1 : 0;
}

/**
 * For each instruction, the caplen every path to it has already proved
 * (a failed check returns, so after `caplen < n` fails caplen >= n holds).
 * Forward-only programs: one pass in index order is a topological order.
 */
function checkedLengths(
  program: RawProgram,
  reachable: readonly boolean[],
  atEntry: number,
): Float64Array {
  const known = new Float64Array(program.length).fill(Infinity);
  known[0] = atEntry;
  for (let pc = 0; pc < program.length; pc++) {
    if (!reachable[pc]) continue;
    const insn = program[pc]!;
    const after = Math.max(known[pc]!, absoluteEnd(insn.code, insn.k));
    const first = firstSuccessor(insn, pc);
    if (first >= 0) known[first] = Math.min(known[first]!, after);
    const second = secondSuccessor(insn, pc);
    if (second >= 0) known[second] = Math.min(known[second]!, after);
  }
  return known;
}

/** Least bytes a load needs: x + k + size >= k + size for [x + k]. */
function loadEnd(code: number, k: number): number {
  const load = LOAD_CHECKED[code];
  if (load !== undefined) return k + load[0];
  return code === 0xb1 ? k + 1 : 0;
}

/**
 * The captured length below which a forward-only program returns 0 whatever
 * the bytes: every path to a return that may accept loads at least that far
 * (and a load past caplen returns 0). Checking it once up front lets the
 * loads below it skip their own checks.
 */
function acceptingLength(program: RawProgram): number {
  const need = new Float64Array(program.length);
  for (let pc = program.length - 1; pc >= 0; pc--) {
    const insn = program[pc]!;
    if (insn.code === (BPF_RET | 0x00)) need[pc] = insn.k === 0 ? Infinity : 0;
    else if (bpfClass(insn.code) === BPF_RET) need[pc] = 0;
    else {
      let rest = Infinity;
      const first = firstSuccessor(insn, pc);
      if (first >= 0) rest = Math.min(rest, need[first]!);
      const second = secondSuccessor(insn, pc);
      if (second >= 0) rest = Math.min(rest, need[second]!);
      need[pc] = Math.max(rest, loadEnd(insn.code, insn.k));
    }
  }
  const first = need[0]!;
  // A program that never accepts needs no check: it returns 0 anyway.
  return Number.isFinite(first) ? first : 0;
}

function jumpTargets(program: RawProgram, reachable: readonly boolean[]): Set<number> {
  const targets = new Set<number>();
  for (let pc = 0; pc < program.length; pc++) {
    if (!reachable[pc] || bpfClass(program[pc]!.code) !== BPF_JMP) continue;
    const first = firstSuccessor(program[pc]!, pc);
    if (first !== pc + 1) targets.add(first);
    const second = secondSuccessor(program[pc]!, pc);
    if (second >= 0 && second !== pc + 1) targets.add(second);
  }
  return targets;
}

function usedScratchSlots(program: RawProgram, reachable: readonly boolean[]): number[] {
  const slots = new Set<number>();
  for (let pc = 0; pc < program.length; pc++) {
    const c = program[pc]!.code;
    if (reachable[pc] && (c === 0x60 || c === 0x61 || c === 0x02 || c === 0x03)) {
      slots.add(program[pc]!.k);
    }
  }
  return [...slots].sort((x, y) => x - y);
}

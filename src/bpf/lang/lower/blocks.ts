/**
 * Conditions as graphs of basic blocks, libpcap's gen_and/gen_or/backpatch
 * idea: a block runs its statements and then branches on one jump; a
 * condition is an entry block plus the list of branch slots still unresolved
 * on its true side and on its false side. `and`/`or`/`not` only patch and
 * swap those lists, so building is linear in the program size.
 */
import type { RawInstruction } from "../../program/raw_instruction.ts";
import { BPF_IMM, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_W } from "../../program/opcodes.ts";

/** Where a branch goes: another block, or the end of the program. */
export type Target = Block | "accept" | "reject";

export interface Block {
  /**
   * Loads, stores and arithmetic run before the branch. No returns; jumps only
   * as a self-contained piece whose targets stay inside the list (protochain).
   */
  readonly stmts: readonly RawInstruction[];
  /** The conditional jump opcode (BPF_JMP | op | src). */
  readonly code: number;
  readonly k: number;
  jt: Target | undefined;
  jf: Target | undefined;
}

interface Slot {
  readonly block: Block;
  readonly side: "jt" | "jf";
}

/**
 * A condition under construction: entry block and its unresolved exits. A
 * condition is consumed by the one `and`/`or`/`not`/`finish` it is passed
 * to, which may reuse its exit lists (so building stays linear).
 */
export interface Cond {
  readonly head: Block;
  readonly whenTrue: Slot[];
  readonly whenFalse: Slot[];
}

export function stmt(code: number, k = 0): RawInstruction {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}

/** One block: run `stmts`, then branch on `code` (a BPF_JMP opcode) against `k`. */
export function branch(stmts: readonly RawInstruction[], code: number, k: number): Cond {
  const block: Block = { stmts, code, k: k >>> 0, jt: undefined, jf: undefined };
  return { head: block, whenTrue: [{ block, side: "jt" }], whenFalse: [{ block, side: "jf" }] };
}

function patch(slots: readonly Slot[], target: Target): void {
  for (const { block, side } of slots) block[side] = target;
}

/** Both lists' slots in one list, appending the shorter to the longer (the inputs are consumed). */
function merge(x: Slot[], y: Slot[]): Slot[] {
  if (x.length < y.length) [x, y] = [y, x];
  for (const slot of y) x.push(slot);
  return x;
}

/** `a and b`: b runs only when a holds. */
export function and(a: Cond, b: Cond): Cond {
  patch(a.whenTrue, b.head);
  return { head: a.head, whenTrue: b.whenTrue, whenFalse: merge(a.whenFalse, b.whenFalse) };
}

/** `a or b`: b runs only when a fails. */
export function or(a: Cond, b: Cond): Cond {
  patch(a.whenFalse, b.head);
  return { head: a.head, whenTrue: merge(a.whenTrue, b.whenTrue), whenFalse: b.whenFalse };
}

export function not(a: Cond): Cond {
  return { head: a.head, whenTrue: a.whenFalse, whenFalse: a.whenTrue };
}

/** All of `conds` in order (`and`), or true when empty. */
export function all(...conds: Cond[]): Cond {
  return conds.reduce((acc, c) => and(acc, c));
}

/** Any of `conds` in order (`or`). */
export function any(...conds: Cond[]): Cond {
  return conds.reduce((acc, c) => or(acc, c));
}

/** A condition that always holds (libpcap's gen_true): `ld #0; jeq #0`. */
export function always(): Cond {
  return branch([stmt(BPF_LD | BPF_IMM | BPF_W, 0)], BPF_JMP | BPF_JEQ | BPF_K, 0);
}

/** A condition that never holds. */
export function never(): Cond {
  return not(always());
}

/** Resolves the remaining exits: true → accept, false → reject. Returns the entry block. */
export function finish(cond: Cond): Block {
  patch(cond.whenTrue, "accept");
  patch(cond.whenFalse, "reject");
  return cond.head;
}

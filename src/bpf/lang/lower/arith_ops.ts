/**
 * What both ways of building relations share (arith.ts, fmagent's own, and
 * arith_gencode.ts, gencode.c's): the ALU opcode of each operator, the jump
 * that tests each relation, libpcap's refusals of a literal right operand,
 * and the joining of protocol checks.
 */
import { FilterSemanticError } from "../../errors.ts";
import type { RawInstruction } from "../../program/raw_instruction.ts";
import {
  BPF_ADD,
  BPF_AND,
  BPF_DIV,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from "../../program/opcodes.ts";
import type { ArithOp, Expr } from "../ast.ts";
import { and, type Cond } from "./blocks.ts";

export const ALU_OF: Readonly<Record<ArithOp, number>> = {
  "+": BPF_ADD,
  "-": BPF_SUB,
  "*": BPF_MUL,
  "/": BPF_DIV,
  "%": BPF_MOD,
  "&": BPF_AND,
  "|": BPF_OR,
  "^": BPF_XOR,
  "<<": BPF_LSH,
  ">>": BPF_RSH,
};

/** A statement (no jump offsets). */
export const stmt = (code: number, k = 0): RawInstruction => ({ code, jt: 0, jf: 0, k: k >>> 0 });

type RelationOp = Extract<Expr, { kind: "relation" }>["op"];

/** The jump testing `op`, and whether its verdict is negated (`<`, `<=`, `!=`), as gen_relation. */
export function relationJump(op: RelationOp): readonly [jump: number, negate: boolean] {
  switch (op) {
    case ">":
      return [BPF_JGT, false];
    case ">=":
      return [BPF_JGE, false];
    case "=":
      return [BPF_JEQ, false];
    case "<=":
      return [BPF_JGT, true];
    case "<":
      return [BPF_JGE, true];
    case "!=":
      return [BPF_JEQ, true];
  }
}

/**
 * gen_arth's refusals, which look only at whether the right operand's code
 * starts with `ld #k` (`first`, that k; undefined otherwise).
 */
export function refuseLiteralOperand(op: ArithOp, first: number | undefined): void {
  if (first === undefined) return;
  if (op === "/" && first === 0) throw new FilterSemanticError("division by zero");
  if (op === "%" && first === 0) throw new FilterSemanticError("modulus by zero");
  if ((op === "<<" || op === ">>") && first > 31) {
    throw new FilterSemanticError("shift by more than 31 bits");
  }
}

/** Both sets of checks (either may be absent). */
export function andChecks(a: Cond | undefined, b: Cond | undefined): Cond | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return and(a, b);
}

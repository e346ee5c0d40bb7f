/**
 * libpcap's `bpf_validate` rules (bpf_filter.c), checked once before a
 * program runs so the interpreter and the JIT can trust it:
 * - known opcodes only, scratch slots below 16, no division or modulo by a
 *   constant 0;
 * - conditional jumps land inside the program (they can only go forward);
 * - `ja` lands inside the program and never on itself. libpcap's own
 *   `protochain` code jumps backwards with `ja`, so backward `ja` is allowed,
 *   as libpcap allows it; the runners bound how often it is taken;
 * - the last instruction is a return.
 */
import { BPF_JA, BPF_JMP, BPF_MEMWORDS, BPF_RET, bpfClass } from "./opcodes.ts";
import type { RawInstruction, RawProgram } from "./raw_instruction.ts";
import { isKnownOpcode } from "./instruction.ts";
import { InvalidProgramError } from "./program_errors.ts";

/** libpcap's BPF_MAXINSNS for its userland interpreter. */
export const MAX_INSTRUCTIONS = 3_060_000;

/** Throws `InvalidProgramError` naming the first instruction that breaks a rule. */
export function validateProgram(program: RawProgram, name = "the BPF program"): void {
  const length = program.length;
  if (length < 1) throw new InvalidProgramError(`Cannot use ${name}: it has no instructions`);
  if (length > MAX_INSTRUCTIONS) {
    throw new InvalidProgramError(
      `Cannot use ${name}: ${length} instructions, the limit is ${MAX_INSTRUCTIONS}`,
    );
  }
  for (let i = 0; i < length; i++) {
    const why = instructionProblem(program[i]!, i, length);
    if (why !== undefined) {
      throw new InvalidProgramError(`Cannot use ${name}: instruction ${i}: ${why}`, i);
    }
  }
  if (bpfClass(program[length - 1]!.code) !== BPF_RET) {
    throw new InvalidProgramError(
      `Cannot use ${name}: instruction ${length - 1}: the last instruction is not a return`,
      length - 1,
    );
  }
}

/** What is wrong with `raw` at index `i` of a program of `length`, if anything. */
function instructionProblem(raw: RawInstruction, i: number, length: number): string | undefined {
  const { code, jt, jf, k } = raw;
  if (!fieldsInRange(code, jt, jf, k)) {
    return `fields out of range (code ${code}, jt ${jt}, jf ${jf}, k ${k})`;
  }
  if (!isKnownOpcode(code)) return `unknown opcode 0x${code.toString(16)}`;
  switch (code) {
    case 0x60: // ld M[k]
    case 0x61: // ldx M[k]
    case 0x02: // st M[k]
    case 0x03: // stx M[k]
      return k >= BPF_MEMWORDS ? `scratch slot M[${k}] does not exist (M[0] to M[15])` : undefined;
    case 0x34: // div #k
      return k === 0 ? "division by the constant 0" : undefined;
    case 0x94: // mod #k
      return k === 0 ? "modulo by the constant 0" : undefined;
    case 0x05: { // ja
      const target = i + 1 + (k | 0);
      if (target < 0 || target >= length) {
        return `jump to ${target} is outside the program (0 to ${length - 1})`;
      }
      return target === i ? "jump to itself (an endless loop)" : undefined;
    }
  }
  if (bpfClass(code) === BPF_JMP && (i + 1 + jt >= length || i + 1 + jf >= length)) {
    return `jump to ${i + 1 + Math.max(jt, jf)} is past the end (${length - 1})`;
  }
  return undefined;
}

function fieldsInRange(code: number, jt: number, jf: number, k: number): boolean {
  return Number.isInteger(code) && code >= 0 && code <= 0xffff &&
    Number.isInteger(jt) && jt >= 0 && jt <= 0xff &&
    Number.isInteger(jf) && jf >= 0 && jf <= 0xff &&
    Number.isInteger(k) && k >= 0 && k <= 0xffffffff;
}

/** True when the program contains a backward `ja` (a loop), which structured JIT code cannot express. */
export function hasBackwardJump(program: RawProgram): boolean {
  for (const insn of program) {
    if (insn.code === (BPF_JMP | BPF_JA) && (insn.k | 0) < 0) return true;
  }
  return false;
}

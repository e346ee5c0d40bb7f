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
import type { RawProgram } from "./raw_instruction.ts";
import { fromRaw, isKnownOpcode } from "./instruction.ts";
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
    const raw = program[i]!;
    const fail = (why: string) =>
      new InvalidProgramError(`Cannot use ${name}: instruction ${i}: ${why}`, i);
    if (!fieldsInRange(raw.code, raw.jt, raw.jf, raw.k)) {
      throw fail(`fields out of range (code ${raw.code}, jt ${raw.jt}, jf ${raw.jf}, k ${raw.k})`);
    }
    if (!isKnownOpcode(raw.code)) throw fail(`unknown opcode 0x${raw.code.toString(16)}`);
    const insn = fromRaw(raw, i);
    switch (insn.kind) {
      case "LoadScratch":
      case "Store":
        if (insn.slot >= BPF_MEMWORDS) {
          throw fail(`scratch slot M[${insn.slot}] does not exist (M[0] to M[15])`);
        }
        break;
      case "AluConstant":
        if ((insn.op === "div" || insn.op === "mod") && insn.value === 0) {
          throw fail(`${insn.op === "div" ? "division" : "modulo"} by the constant 0`);
        }
        break;
      case "JumpConstant":
      case "JumpX":
        if (i + 1 + insn.skipTrue >= length || i + 1 + insn.skipFalse >= length) {
          throw fail(
            `jump to ${i + 1 + Math.max(insn.skipTrue, insn.skipFalse)} is past the end (${
              length - 1
            })`,
          );
        }
        break;
      case "JumpAlways": {
        const target = i + 1 + insn.skip;
        if (target < 0 || target >= length) {
          throw fail(`jump to ${target} is outside the program (0 to ${length - 1})`);
        }
        if (target === i) throw fail("jump to itself (an endless loop)");
        break;
      }
    }
  }
  if (bpfClass(program[length - 1]!.code) !== BPF_RET) {
    throw new InvalidProgramError(
      `Cannot use ${name}: instruction ${length - 1}: the last instruction is not a return`,
      length - 1,
    );
  }
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

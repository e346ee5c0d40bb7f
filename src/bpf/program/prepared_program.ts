/**
 * A validated program in parallel typed arrays: what the interpreter's
 * trusting loop reads. Prepared once per program object and cached, so
 * `interpret` validates a program only the first time it sees it.
 */
import type { RawProgram } from "./raw_instruction.ts";
import { validateProgram } from "./validate.ts";
import { BPF_LD, BPF_LDX, BPF_MEM, BPF_ST, BPF_STX } from "./opcodes.ts";

export interface PreparedProgram {
  readonly length: number;
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
  /** Whether any instruction touches scratch memory (which then needs clearing per packet). */
  readonly usesScratch: boolean;
}

const cache = new WeakMap<RawProgram, PreparedProgram>();

/** Validates `program` (throwing `InvalidProgramError`) and returns its prepared form. */
export function prepareProgram(program: RawProgram): PreparedProgram {
  const cached = cache.get(program);
  if (cached !== undefined) return cached;
  validateProgram(program);
  const length = program.length;
  const prepared = {
    length,
    code: new Uint16Array(length),
    jt: new Uint8Array(length),
    jf: new Uint8Array(length),
    k: new Uint32Array(length),
    usesScratch: false,
  };
  for (let i = 0; i < length; i++) {
    const insn = program[i]!;
    prepared.code[i] = insn.code;
    prepared.jt[i] = insn.jt;
    prepared.jf[i] = insn.jf;
    prepared.k[i] = insn.k;
    const c = insn.code;
    if (c === (BPF_LD | BPF_MEM) || c === (BPF_LDX | BPF_MEM) || c === BPF_ST || c === BPF_STX) {
      prepared.usesScratch = true;
    }
  }
  cache.set(program, prepared);
  return prepared;
}

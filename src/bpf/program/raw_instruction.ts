/**
 * The flat form of a classic BPF instruction, as the kernel and libpcap store
 * it (struct bpf_insn): what the interpreter and the JIT run, and what
 * `fmagent bpf -dd/-ddd` prints. `k` is an unsigned 32-bit value.
 */
export interface RawInstruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** A program as a list of raw instructions, ending in a RET. */
export type RawProgram = readonly RawInstruction[];

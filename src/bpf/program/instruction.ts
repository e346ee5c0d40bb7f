/**
 * The typed form of a classic BPF instruction, one record shape per kind: what
 * a compiler builds and a reader inspects. `toRaw`/`fromRaw` convert to and
 * from the flat form the interpreter, the JIT and the printers run on.
 */
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
} from "./opcodes.ts";
import type { RawInstruction } from "./raw_instruction.ts";
import { InvalidProgramError } from "./program_errors.ts";

/** Bytes a packet load reads: ld (4), ldh (2), ldb (1). */
export type LoadSize = 1 | 2 | 4;
export type Register = "A" | "X";
export type AluOp = "add" | "sub" | "mul" | "div" | "mod" | "and" | "or" | "xor" | "lsh" | "rsh";
export type JumpTest = "jeq" | "jgt" | "jge" | "jset";

/** A = packet[offset .. offset+size), big-endian. */
export interface LoadAbsolute {
  readonly kind: "LoadAbsolute";
  readonly size: LoadSize;
  readonly offset: number;
}

/** A = packet[X+offset .. X+offset+size), big-endian. */
export interface LoadIndirect {
  readonly kind: "LoadIndirect";
  readonly size: LoadSize;
  readonly offset: number;
}

/** X = 4 * (packet[offset] & 0xf): the IPv4 header length idiom. */
export interface LoadMemShift {
  readonly kind: "LoadMemShift";
  readonly offset: number;
}

export interface LoadConstant {
  readonly kind: "LoadConstant";
  readonly dst: Register;
  readonly value: number;
}

/** dst = the packet's length on the wire. */
export interface LoadLength {
  readonly kind: "LoadLength";
  readonly dst: Register;
}

/** dst = M[slot]. */
export interface LoadScratch {
  readonly kind: "LoadScratch";
  readonly dst: Register;
  readonly slot: number;
}

/** M[slot] = src. */
export interface Store {
  readonly kind: "Store";
  readonly src: Register;
  readonly slot: number;
}

/** A = A op value. */
export interface AluConstant {
  readonly kind: "AluConstant";
  readonly op: AluOp;
  readonly value: number;
}

/** A = A op X. */
export interface AluX {
  readonly kind: "AluX";
  readonly op: AluOp;
}

/** A = -A. */
export interface Negate {
  readonly kind: "Negate";
}

/** Skip `skipTrue` instructions if `A test value`, else `skipFalse`. */
export interface JumpConstant {
  readonly kind: "JumpConstant";
  readonly test: JumpTest;
  readonly value: number;
  readonly skipTrue: number;
  readonly skipFalse: number;
}

/** Skip `skipTrue` instructions if `A test X`, else `skipFalse`. */
export interface JumpX {
  readonly kind: "JumpX";
  readonly test: JumpTest;
  readonly skipTrue: number;
  readonly skipFalse: number;
}

/** Skip `skip` instructions; negative only in libpcap's `protochain` loops. */
export interface JumpAlways {
  readonly kind: "JumpAlways";
  readonly skip: number;
}

export interface ReturnConstant {
  readonly kind: "ReturnConstant";
  readonly value: number;
}

export interface ReturnA {
  readonly kind: "ReturnA";
}

/** X = A. */
export interface Tax {
  readonly kind: "Tax";
}

/** A = X. */
export interface Txa {
  readonly kind: "Txa";
}

export type Instruction =
  | LoadAbsolute
  | LoadIndirect
  | LoadMemShift
  | LoadConstant
  | LoadLength
  | LoadScratch
  | Store
  | AluConstant
  | AluX
  | Negate
  | JumpConstant
  | JumpX
  | JumpAlways
  | ReturnConstant
  | ReturnA
  | Tax
  | Txa;

const SIZE_CODE: Readonly<Record<LoadSize, number>> = { 4: BPF_W, 2: BPF_H, 1: BPF_B };
const ALU_CODE: Readonly<Record<AluOp, number>> = {
  add: BPF_ADD,
  sub: BPF_SUB,
  mul: BPF_MUL,
  div: BPF_DIV,
  mod: BPF_MOD,
  and: BPF_AND,
  or: BPF_OR,
  xor: BPF_XOR,
  lsh: BPF_LSH,
  rsh: BPF_RSH,
};
const JUMP_CODE: Readonly<Record<JumpTest, number>> = {
  jeq: BPF_JEQ,
  jgt: BPF_JGT,
  jge: BPF_JGE,
  jset: BPF_JSET,
};

const raw = (code: number, jt: number, jf: number, k: number): RawInstruction => ({
  code,
  jt,
  jf,
  k: k >>> 0,
});

/** The flat form of `insn`; values are taken modulo 2^32 as the C struct would store them. */
export function toRaw(insn: Instruction): RawInstruction {
  switch (insn.kind) {
    case "LoadAbsolute":
      return raw(BPF_LD | SIZE_CODE[insn.size] | BPF_ABS, 0, 0, insn.offset);
    case "LoadIndirect":
      return raw(BPF_LD | SIZE_CODE[insn.size] | BPF_IND, 0, 0, insn.offset);
    case "LoadMemShift":
      return raw(BPF_LDX | BPF_B | BPF_MSH, 0, 0, insn.offset);
    case "LoadConstant":
      return raw((insn.dst === "A" ? BPF_LD : BPF_LDX) | BPF_IMM, 0, 0, insn.value);
    case "LoadLength":
      return raw((insn.dst === "A" ? BPF_LD : BPF_LDX) | BPF_W | BPF_LEN, 0, 0, 0);
    case "LoadScratch":
      return raw((insn.dst === "A" ? BPF_LD : BPF_LDX) | BPF_MEM, 0, 0, insn.slot);
    case "Store":
      return raw(insn.src === "A" ? BPF_ST : BPF_STX, 0, 0, insn.slot);
    case "AluConstant":
      return raw(BPF_ALU | ALU_CODE[insn.op] | BPF_K, 0, 0, insn.value);
    case "AluX":
      return raw(BPF_ALU | ALU_CODE[insn.op] | BPF_X, 0, 0, 0);
    case "Negate":
      return raw(BPF_ALU | BPF_NEG, 0, 0, 0);
    case "JumpConstant":
      return raw(BPF_JMP | JUMP_CODE[insn.test] | BPF_K, insn.skipTrue, insn.skipFalse, insn.value);
    case "JumpX":
      return raw(BPF_JMP | JUMP_CODE[insn.test] | BPF_X, insn.skipTrue, insn.skipFalse, 0);
    case "JumpAlways":
      return raw(BPF_JMP | BPF_JA, 0, 0, insn.skip);
    case "ReturnConstant":
      return raw(BPF_RET | BPF_K, 0, 0, insn.value);
    case "ReturnA":
      return raw(BPF_RET | BPF_A, 0, 0, 0);
    case "Tax":
      return raw(BPF_MISC | BPF_TAX, 0, 0, 0);
    case "Txa":
      return raw(BPF_MISC | BPF_TXA, 0, 0, 0);
  }
}

const SIZE_OF_CODE = new Map<number, LoadSize>([[BPF_W, 4], [BPF_H, 2], [BPF_B, 1]]);
const ALU_OF_CODE = new Map<number, AluOp>(
  Object.entries(ALU_CODE).map(([op, code]) => [code, op as AluOp]),
);
const JUMP_OF_CODE = new Map<number, JumpTest>(
  Object.entries(JUMP_CODE).map(([test, code]) => [code, test as JumpTest]),
);

/** The opcodes libpcap's interpreter runs (bpf_filter.c); everything else is invalid. */
export const KNOWN_OPCODES: ReadonlySet<number> = new Set([
  0x06,
  0x16,
  0x20,
  0x28,
  0x30,
  0x80,
  0x81,
  0x40,
  0x48,
  0x50,
  0xb1,
  0x00,
  0x01,
  0x60,
  0x61,
  0x02,
  0x03,
  0x05,
  0x25,
  0x35,
  0x15,
  0x45,
  0x2d,
  0x3d,
  0x1d,
  0x4d,
  0x0c,
  0x1c,
  0x2c,
  0x3c,
  0x9c,
  0x5c,
  0x4c,
  0xac,
  0x6c,
  0x7c,
  0x04,
  0x14,
  0x24,
  0x34,
  0x94,
  0x54,
  0x44,
  0xa4,
  0x64,
  0x74,
  0x84,
  0x07,
  0x87,
]);

export function isKnownOpcode(code: number): boolean {
  return KNOWN_OPCODES.has(code);
}

/**
 * The typed form of `insn`, for exactly the opcodes libpcap's interpreter
 * runs; anything else throws `InvalidProgramError` naming `index`.
 */
export function fromRaw(insn: RawInstruction, index = 0): Instruction {
  const { code, jt, jf, k } = insn;
  const unknown = () =>
    new InvalidProgramError(
      `Cannot use instruction ${index}: unknown opcode 0x${code.toString(16)}`,
      index,
    );
  switch (code) {
    case BPF_LD | BPF_IMM:
      return { kind: "LoadConstant", dst: "A", value: k };
    case BPF_LDX | BPF_IMM:
      return { kind: "LoadConstant", dst: "X", value: k };
    case BPF_LD | BPF_W | BPF_LEN:
      return { kind: "LoadLength", dst: "A" };
    case BPF_LDX | BPF_W | BPF_LEN:
      return { kind: "LoadLength", dst: "X" };
    case BPF_LD | BPF_MEM:
      return { kind: "LoadScratch", dst: "A", slot: k };
    case BPF_LDX | BPF_MEM:
      return { kind: "LoadScratch", dst: "X", slot: k };
    case BPF_ST:
      return { kind: "Store", src: "A", slot: k };
    case BPF_STX:
      return { kind: "Store", src: "X", slot: k };
    case BPF_LDX | BPF_B | BPF_MSH:
      return { kind: "LoadMemShift", offset: k };
    case BPF_ALU | BPF_NEG:
      return { kind: "Negate" };
    case BPF_JMP | BPF_JA:
      return { kind: "JumpAlways", skip: k | 0 };
    case BPF_RET | BPF_K:
      return { kind: "ReturnConstant", value: k };
    case BPF_RET | BPF_A:
      return { kind: "ReturnA" };
    case BPF_MISC | BPF_TAX:
      return { kind: "Tax" };
    case BPF_MISC | BPF_TXA:
      return { kind: "Txa" };
  }
  const cls = code & 0x07;
  if (cls === BPF_LD) {
    const size = SIZE_OF_CODE.get(code & 0x18);
    const mode = code & 0xe0;
    if (size !== undefined && (code & ~0xf8) === 0) {
      if (mode === BPF_ABS) return { kind: "LoadAbsolute", size, offset: k };
      if (mode === BPF_IND) return { kind: "LoadIndirect", size, offset: k };
    }
  } else if (cls === BPF_ALU) {
    const op = ALU_OF_CODE.get(code & 0xf0);
    if (op !== undefined && (code & 0xff00) === 0) {
      return (code & BPF_X) !== 0 ? { kind: "AluX", op } : { kind: "AluConstant", op, value: k };
    }
  } else if (cls === BPF_JMP) {
    const test = JUMP_OF_CODE.get(code & 0xf0);
    if (test !== undefined && (code & 0xff00) === 0) {
      return (code & BPF_X) !== 0
        ? { kind: "JumpX", test, skipTrue: jt, skipFalse: jf }
        : { kind: "JumpConstant", test, value: k, skipTrue: jt, skipFalse: jf };
    }
  }
  throw unknown();
}

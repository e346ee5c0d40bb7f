import { assertEquals, assertThrows } from "../../../tests/support/assert.ts";
import { fromRaw, type Instruction, isKnownOpcode, toRaw } from "./instruction.ts";
import { InvalidProgramError } from "./program_errors.ts";

const SHAPES: readonly Instruction[] = [
  { kind: "LoadAbsolute", size: 4, offset: 26 },
  { kind: "LoadAbsolute", size: 2, offset: 12 },
  { kind: "LoadAbsolute", size: 1, offset: 23 },
  { kind: "LoadIndirect", size: 4, offset: 14 },
  { kind: "LoadIndirect", size: 2, offset: 16 },
  { kind: "LoadIndirect", size: 1, offset: 0 },
  { kind: "LoadMemShift", offset: 14 },
  { kind: "LoadConstant", dst: "A", value: 0xffffffff },
  { kind: "LoadConstant", dst: "X", value: 40 },
  { kind: "LoadLength", dst: "A" },
  { kind: "LoadLength", dst: "X" },
  { kind: "LoadScratch", dst: "A", slot: 0 },
  { kind: "LoadScratch", dst: "X", slot: 15 },
  { kind: "Store", src: "A", slot: 1 },
  { kind: "Store", src: "X", slot: 2 },
  ...(["add", "sub", "mul", "div", "mod", "and", "or", "xor", "lsh", "rsh"] as const).flatMap((
    op,
  ) => [{ kind: "AluConstant", op, value: 3 } as const, { kind: "AluX", op } as const]),
  { kind: "Negate" },
  ...(["jeq", "jgt", "jge", "jset"] as const).flatMap((test) => [
    { kind: "JumpConstant", test, value: 0x800, skipTrue: 1, skipFalse: 2 } as const,
    { kind: "JumpX", test, skipTrue: 3, skipFalse: 0 } as const,
  ]),
  { kind: "JumpAlways", skip: 4 },
  { kind: "JumpAlways", skip: -15 },
  { kind: "ReturnConstant", value: 262144 },
  { kind: "ReturnA" },
  { kind: "Tax" },
  { kind: "Txa" },
];

Deno.test("instruction: every shape survives toRaw then fromRaw", () => {
  for (const insn of SHAPES) {
    const raw = toRaw(insn);
    assertEquals(isKnownOpcode(raw.code), true, insn.kind);
    assertEquals(fromRaw(raw), insn, insn.kind);
  }
});

Deno.test("instruction: known raw encodings", () => {
  assertEquals(toRaw({ kind: "LoadAbsolute", size: 2, offset: 12 }), {
    code: 0x28,
    jt: 0,
    jf: 0,
    k: 12,
  });
  assertEquals(toRaw({ kind: "JumpAlways", skip: -15 }).k, 0xfffffff1);
  assertEquals(toRaw({ kind: "LoadMemShift", offset: 14 }).code, 0xb1);
  assertEquals(toRaw({ kind: "ReturnA" }).code, 0x16);
});

Deno.test("instruction: unknown opcodes are refused with the index", () => {
  for (const code of [0x0e, 0x18, 0x38, 0x8c, 0xb4, 0x0d, 0x55, 0x100, 0xa1]) {
    const error = assertThrows(
      () => fromRaw({ code, jt: 0, jf: 0, k: 0 }, 7),
      InvalidProgramError,
      `instruction 7: unknown opcode 0x${code.toString(16)}`,
    );
    assertEquals(error.index, 7);
  }
});

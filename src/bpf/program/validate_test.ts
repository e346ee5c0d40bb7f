import { assertEquals, assertThrows } from "../../../tests/support/assert.ts";
import { hasBackwardJump, validateProgram } from "./validate.ts";
import { InvalidProgramError } from "./program_errors.ts";
import type { RawInstruction } from "./raw_instruction.ts";

const i = (code: number, k = 0, jt = 0, jf = 0): RawInstruction => ({ code, jt, jf, k });
const RET = i(0x06, 1);

Deno.test("validate: accepts libpcap-shaped programs", () => {
  validateProgram([i(0x28, 12), i(0x15, 0x800, 0, 1), RET, i(0x06, 0)]);
  validateProgram([i(0x16)]);
  // A backward ja as libpcap's protochain emits it.
  validateProgram([i(0x00, 1), i(0x15, 5, 1, 0), i(0x05, -3 >>> 0), RET]);
  // Shifts by constants >= 32 are accepted by libpcap 1.10's validator.
  validateProgram([i(0x64, 33), RET]);
});

Deno.test("validate: each rule names the instruction", () => {
  const cases: [RawInstruction[], string, number | undefined][] = [
    [[], "no instructions", undefined],
    [[i(0x28, 12)], "instruction 0: the last instruction is not a return", 0],
    [[i(0x0e), RET], "instruction 0: unknown opcode 0xe", 0],
    [[i(0x60, 16), RET], "instruction 0: scratch slot M[16] does not exist", 0],
    [[i(0x00), i(0x02, 99), RET], "instruction 1: scratch slot M[99]", 1],
    [[i(0x34, 0), RET], "instruction 0: division by the constant 0", 0],
    [[i(0x94, 0), RET], "instruction 0: modulo by the constant 0", 0],
    [[i(0x15, 0, 0, 2), RET], "instruction 0: jump to 3 is past the end (1)", 0],
    [[i(0x15, 0, 1, 0), RET], "instruction 0: jump to 2 is past the end", 0],
    [[i(0x05, 1), RET], "instruction 0: jump to 2 is outside the program", 0],
    [[RET, i(0x05, -3 >>> 0), RET], "instruction 1: jump to -1 is outside", 1],
    [[i(0x05, 0xffffffff), RET], "instruction 0: jump to itself", 0],
    [[{ code: 0x06, jt: 0, jf: 0, k: 2 ** 32 }], "fields out of range", 0],
    [[{ code: 0x06, jt: 256, jf: 0, k: 0 }], "fields out of range", 0],
  ];
  for (const [program, message, index] of cases) {
    const error = assertThrows(() => validateProgram(program, "P"), InvalidProgramError, message);
    assertEquals(error.index, index, message);
    assertEquals(error.message.startsWith("Cannot use P: "), true, error.message);
    assertEquals(error.exitCode, 2);
  }
});

Deno.test("validate: backward jumps are detected", () => {
  assertEquals(hasBackwardJump([i(0x05, 0), RET]), false);
  assertEquals(hasBackwardJump([RET, i(0x05, -2 >>> 0), RET]), true);
});

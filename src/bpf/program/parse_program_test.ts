import { assertEquals, assertThrows } from "../../../tests/support/assert.ts";
import { parseProgramText } from "./parse_program.ts";
import { InvalidProgramError, ProgramTextError } from "./program_errors.ts";

const IP = [
  { code: 40, jt: 0, jf: 0, k: 12 },
  { code: 21, jt: 0, jf: 1, k: 2048 },
  { code: 6, jt: 0, jf: 0, k: 262144 },
  { code: 6, jt: 0, jf: 0, k: 0 },
];

Deno.test("parse program: -ddd, -dd and one-line forms load the same program", () => {
  assertEquals(parseProgramText("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n"), IP);
  assertEquals(
    parseProgramText(
      "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n" +
        "{ 0x6, 0, 0, 0x00040000 },\n{ 0x6, 0, 0, 0x00000000 },\n",
    ),
    IP,
  );
  assertEquals(parseProgramText("4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0,"), IP);
  assertEquals(
    parseProgramText(
      "# ip\r\n4\r\n\r\n40 0 0 12   # ldh [12]\r\n21 0 1 2048\r\n6 0 0 262144\r\n6 0 0 0",
    ),
    IP,
  );
  assertEquals(parseProgramText("1\n6 0 0 4294967295\n")[0]!.k, 0xffffffff);
});

Deno.test("parse program: errors name the line", () => {
  const cases: [string, string, number][] = [
    ["", "line 1: no instructions", 1],
    ["ldh [12]\n", 'line 1: expected the instruction count, got "ldh [12]"', 1],
    ["2\n6 0 0 1\n", "line 2: the count says 2 instructions but 1 follow", 2],
    ["1\n6 0 0 1\n6 0 0 2\n", "line 3: the count says 1 instructions but 2 follow", 3],
    ["2\n40 0 0 12\n6 0 1\n", "line 3: expected 4 numbers (code jt jf k), got 3", 3],
    ["1\n6 0 x 1\n", 'line 2: jf "x" is not a number', 2],
    ["1\n6 256 0 1\n", "line 2: jt 256 is larger than 255", 2],
    ["1\n6 0 0 4294967296\n", "line 2: k 4294967296 is larger than 4294967295", 2],
    ["1\n6 0 0 -1\n", 'line 2: k "-1" is not a number', 2],
    ["{ 0x6, 0, 0 \n", "line 1: expected { code, jt, jf, k }", 1],
  ];
  for (const [text, message, line] of cases) {
    const error = assertThrows(() => parseProgramText(text, "f.bpf"), ProgramTextError, message);
    assertEquals(error.line, line);
    assertEquals(error.message.startsWith("Cannot read f.bpf: "), true, error.message);
  }
});

Deno.test("parse program: the result is validated", () => {
  assertThrows(
    () => parseProgramText("2\n21 0 5 1\n6 0 0 1\n", "f.bpf"),
    InvalidProgramError,
    "Cannot use f.bpf: instruction 0: jump to 6 is past the end (1)",
  );
});

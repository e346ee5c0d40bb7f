import { assert, assertEquals, assertThrows } from "../../../tests/support/assert.ts";
import { jitCompile, jitSource, MAX_JIT_INSTRUCTIONS, reachableInstructions } from "./jit.ts";
import { InvalidProgramError } from "./program_errors.ts";

const i = (code: number, k = 0, jt = 0, jf = 0) => ({ code, jt, jf, k });
// tcpdump -ddd 'ip'
const IP = [i(0x28, 12), i(0x15, 0x800, 0, 1), i(0x06, 262144), i(0x06, 0)];

Deno.test("jit: forward programs become labelled blocks, loops a switch", () => {
  const blocks = jitSource(IP);
  assert(blocks.includes("break L3;"), blocks);
  assert(!blocks.includes("switch"), blocks);
  const loop = jitSource([i(0x00, 1), i(0x15, 5, 1, 0), i(0x05, -3 >>> 0), i(0x06, 1)]);
  assert(loop.includes("switch (pc)") && loop.includes("++back >"), loop);
});

Deno.test("jit: unreachable instructions are not emitted", () => {
  const program = [i(0x05, 1), i(0x00, 0xdead), i(0x06, 7)];
  assertEquals(reachableInstructions(program), [true, false, true]);
  assert(!jitSource(program).includes(String(0xdead)));
  assertEquals(jitCompile(program)(new Uint8Array(0), 0, 0, 0), 7);
});

Deno.test("jit: matches ip on IPv4 and not on IPv6", () => {
  const matcher = jitCompile(IP);
  const frame = new Uint8Array(14);
  frame[12] = 0x08;
  assertEquals(matcher(frame, 0, 14, 60), 262144);
  frame[12] = 0x86;
  frame[13] = 0xdd;
  assertEquals(matcher(frame, 0, 14, 60), 0);
  assertEquals(matcher(frame, 0, 13, 60), 0);
});

Deno.test("jit: invalid programs are refused", () => {
  assertThrows(() => jitCompile([i(0x28, 12)]), InvalidProgramError, "not a return");
});

Deno.test("jit: a program with very many jump targets uses the switch form and agrees", async () => {
  const { interpret } = await import("./interpret.ts");
  const program = [i(0x30, 0)];
  for (let n = 0; n < 500; n++) program.push(i(0x15, n % 256, 0, 1), i(0x06, n + 1));
  program.push(i(0x06, 0));
  const source = jitSource(program);
  assert(source.includes("switch (pc)"), "switch form");
  const matcher = jitCompile(program);
  for (let byte = 0; byte < 256; byte++) {
    const packet = Uint8Array.of(byte);
    assertEquals(matcher(packet, 0, 1, 1), interpret(program, packet, 0, 1, 1));
    assertEquals(matcher(packet, 0, 1, 1), byte + 1);
  }
});

Deno.test("jit: very long programs fall back to the interpreter", () => {
  const program = [...Array.from({ length: MAX_JIT_INSTRUCTIONS }, () => i(0x04, 1)), i(0x16)];
  const matcher = jitCompile(program);
  assertEquals(matcher.name.includes("bpfMatcher"), false);
  assertEquals(matcher(new Uint8Array(0), 0, 0, 0), MAX_JIT_INSTRUCTIONS);
});

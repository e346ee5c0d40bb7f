import { assertEquals } from "../../../../tests/support/assert.ts";
import type { RawInstruction } from "../raw_instruction.ts";
import { compileProgram } from "../../compile_filter.ts";
import { libpcapVerdict } from "./proves_empty.ts";

const i = (code: number, k = 0, jt = 0, jf = 0): RawInstruction => ({ code, jt, jf, k });
const LDH = 0x28, JEQ = 0x15, JGT = 0x25, RET = 0x06;
const gencode = (expression: string) =>
  compileProgram(expression, { optimize: false, exactGencode: true });
const verdict = (program: readonly RawInstruction[]) => libpcapVerdict(program).kind;

Deno.test("libpcapVerdict: the same test on the same load has the same outcome", () => {
  // ldh [12]; jeq #0x800 -> (ldh [12]; jeq #0x800 false -> accept) : reject
  const program = [
    i(LDH, 12),
    i(JEQ, 0x800, 0, 3),
    i(LDH, 12),
    i(JEQ, 0x800, 1, 0),
    i(RET, 262144),
    i(RET, 0),
  ];
  assertEquals(verdict(program), "rejects all");
});

Deno.test("libpcapVerdict: after jeq #k is true, jeq on another constant is false", () => {
  assertEquals(verdict(gencode("ip and ip6")), "rejects all");
  assertEquals(verdict(gencode("tcp and udp")), "rejects all");
  assertEquals(verdict(gencode("port 80 and not port 80")), "rejects all");
});

Deno.test("libpcapVerdict: no ranges, masks or reasoning across merging paths", () => {
  // jgt #100 true, then jgt #50 false: libpcap does not compare ranges.
  const ranges = [
    i(0x80),
    i(JGT, 100, 0, 3),
    i(0x80),
    i(JGT, 50, 1, 0),
    i(RET, 262144),
    i(RET, 0),
  ];
  assertEquals(verdict(ranges), "accepts");
  assertEquals(verdict(gencode("mpls and llc")), "accepts");
  assertEquals(verdict(gencode("(ip or ip6) and len > 100 and not ip and not ip6")), "accepts");
  // A packet load through X is not the value of the absolute load a protocol test makes.
  assertEquals(verdict(gencode("icmp and ip[9] = 6")), "accepts");
});

Deno.test("libpcapVerdict: constants fold, but only a decided root makes the program empty", () => {
  assertEquals(verdict(gencode("1 = 2")), "rejects all");
  assertEquals(verdict(gencode("1+1 = 3 and ip")), "rejects all");
  // Folded in the pass that no longer moves branches: the test after `ip` stays.
  assertEquals(verdict(gencode("ip and 1+1 = 3")), "accepts");
  assertEquals(verdict(gencode("1+1 = 2")), "accepts");
});

Deno.test("libpcapVerdict: the optimiser's own errors are reported", () => {
  assertEquals(libpcapVerdict(gencode("len / (1 - 1) = 0")), {
    kind: "error",
    message: "division by zero",
  });
  assertEquals(libpcapVerdict(gencode("len % (2 - 2) = 1")), {
    kind: "error",
    message: "modulus by zero",
  });
});

Deno.test("libpcapVerdict: programs libpcap does not optimise count as accepted", () => {
  // A backward jump, as protochain's loop makes.
  assertEquals(verdict([i(0x00, 1), i(JEQ, 5, 1, 0), i(0x05, -3 >>> 0), i(RET, 0)]), "accepts");
  assertEquals(verdict([i(RET, 0)]), "rejects all");
  assertEquals(verdict([i(RET, 262144)]), "accepts");
});

Deno.test("libpcapVerdict: beyond its work budget nothing is decided", () => {
  const ports = Array.from({ length: 40 }, (_, n) => `port ${n + 1}`).join(" or ");
  assertEquals(verdict(gencode(`(${ports}) and not (${ports})`)), "too large");
  assertEquals(libpcapVerdict(gencode("ip and ip6"), 100).kind, "too large");
  // compileProgram then accepts: it never refuses what it could not decide.
  compileProgram(`(${ports}) and not (${ports})`);
});

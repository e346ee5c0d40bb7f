/**
 * One harness for both runners: every table row and every random program runs
 * through the interpreter and the JIT, which must agree before the verdict is
 * compared with the expected one (or with libpcap's own interpreter).
 */
import { assertEquals } from "../support/assert.ts";
import { type Instruction, toRaw } from "../../src/bpf/program/instruction.ts";
import type { RawProgram } from "../../src/bpf/program/raw_instruction.ts";
import { interpret, MAX_BACKWARD_JUMPS } from "../../src/bpf/program/interpret.ts";
import { jitCompile, type PacketMatcher } from "../../src/bpf/program/jit.ts";
import { randomPacket, randomProgram, Rng, seededRandom } from "./random_program.ts";
import { libpcapVerdicts, oracleUnavailable } from "./libpcap_oracle.ts";

/** Both runners' verdict, asserting they agree. */
function verdict(
  program: RawProgram,
  matcher: PacketMatcher,
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
  context: string,
): number {
  const interpreted = interpret(program, bytes, offset, caplen, wirelen);
  const compiled = matcher(bytes, offset, caplen, wirelen);
  assertEquals(compiled, interpreted, `JIT vs interpreter, ${context}`);
  return interpreted;
}

interface Row {
  readonly name: string;
  readonly program: readonly Instruction[];
  readonly packet: readonly number[];
  readonly caplen?: number;
  readonly wirelen?: number;
  /** Start of the packet inside a larger buffer (bytes before it are 0xee). */
  readonly offset?: number;
  readonly expected: number;
}

const ret = (value: number): Instruction => ({ kind: "ReturnConstant", value });
const retA: Instruction = { kind: "ReturnA" };
const ld = (size: 1 | 2 | 4, offset: number): Instruction => ({
  kind: "LoadAbsolute",
  size,
  offset,
});
const ldi = (size: 1 | 2 | 4, offset: number): Instruction => ({
  kind: "LoadIndirect",
  size,
  offset,
});
const lda = (value: number): Instruction => ({ kind: "LoadConstant", dst: "A", value });
const ldx = (value: number): Instruction => ({ kind: "LoadConstant", dst: "X", value });
const alu = (
  op: "add" | "sub" | "mul" | "div" | "mod" | "and" | "or" | "xor" | "lsh" | "rsh",
  value?: number,
): Instruction => value === undefined ? { kind: "AluX", op } : { kind: "AluConstant", op, value };
const jeq = (value: number, skipTrue: number, skipFalse: number): Instruction => ({
  kind: "JumpConstant",
  test: "jeq",
  value,
  skipTrue,
  skipFalse,
});

const PACKET = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x86, 0xdd, 0x45, 0xff, 0x80, 0x00];

const ROWS: readonly Row[] = [
  { name: "ret #k", program: [ret(96)], packet: [], expected: 96 },
  { name: "ret #0xffffffff", program: [ret(0xffffffff)], packet: [], expected: 0xffffffff },
  { name: "ret a starts at 0", program: [retA], packet: [], expected: 0 },
  { name: "ld [k] inside", program: [ld(4, 8), retA], packet: PACKET, expected: 0x45ff8000 },
  {
    name: "ld [k] ends at caplen",
    program: [ld(4, 8), retA],
    packet: PACKET,
    expected: 0x45ff8000,
  },
  { name: "ld [k] one past caplen", program: [ld(4, 9), ret(1)], packet: PACKET, expected: 0 },
  {
    name: "ld [k] respects caplen < buffer",
    program: [ld(4, 4), ret(1)],
    packet: PACKET,
    caplen: 7,
    expected: 0,
  },
  { name: "ldh [k] ends at caplen", program: [ld(2, 10), retA], packet: PACKET, expected: 0x8000 },
  { name: "ldh [k] one past", program: [ld(2, 11), ret(1)], packet: PACKET, expected: 0 },
  { name: "ldb [k] last byte", program: [ld(1, 11), ret(7)], packet: PACKET, expected: 7 },
  { name: "ldb [k] at caplen", program: [ld(1, 12), ret(7)], packet: PACKET, expected: 0 },
  { name: "ld [k] huge offset", program: [ld(4, 0xfffffffe), ret(1)], packet: PACKET, expected: 0 },
  { name: "ldb on empty packet", program: [ld(1, 0), ret(1)], packet: [], expected: 0 },
  { name: "ld [x+k]", program: [ldx(4), ldi(4, 4), retA], packet: PACKET, expected: 0x45ff8000 },
  { name: "ldh [x+k] one past", program: [ldx(5), ldi(2, 6), ret(1)], packet: PACKET, expected: 0 },
  { name: "ldb [x+k] last", program: [ldx(10), ldi(1, 1), retA], packet: PACKET, expected: 0 },
  {
    name: "ldb [x+k] X wraps",
    program: [ldx(0xffffffff), ldi(1, 1), ret(1)],
    packet: PACKET,
    expected: 0,
  },
  {
    name: "ld [x+k] k wraps",
    program: [ldx(2), ldi(4, 0xfffffffe), ret(1)],
    packet: PACKET,
    expected: 0,
  },
  {
    name: "msh",
    program: [{ kind: "LoadMemShift", offset: 8 }, { kind: "Txa" }, retA],
    packet: PACKET,
    expected: 20,
  },
  {
    name: "msh at caplen",
    program: [{ kind: "LoadMemShift", offset: 12 }, ret(1)],
    packet: PACKET,
    expected: 0,
  },
  {
    name: "msh last byte",
    program: [{ kind: "LoadMemShift", offset: 9 }, { kind: "Txa" }, retA],
    packet: PACKET,
    expected: 60,
  },
  {
    name: "offset into a larger buffer",
    program: [ld(2, 6), retA],
    packet: PACKET,
    offset: 5,
    expected: 0x86dd,
  },
  {
    name: "caplen beyond the buffer is clamped",
    program: [ld(1, 12), ret(1)],
    packet: PACKET,
    caplen: 100,
    expected: 0,
  },
  {
    name: "len is the wire length",
    program: [{ kind: "LoadLength", dst: "A" }, retA],
    packet: PACKET,
    wirelen: 1514,
    expected: 1514,
  },
  {
    name: "ldx len",
    program: [{ kind: "LoadLength", dst: "X" }, { kind: "Txa" }, retA],
    packet: PACKET,
    wirelen: 99,
    expected: 99,
  },
  {
    name: "div by X = 0 rejects",
    program: [lda(10), ldx(0), alu("div"), ret(1)],
    packet: [],
    expected: 0,
  },
  {
    name: "mod by X = 0 rejects",
    program: [lda(10), ldx(0), alu("mod"), ret(1)],
    packet: [],
    expected: 0,
  },
  {
    name: "div by X",
    program: [lda(0xffffffff), ldx(7), alu("div"), retA],
    packet: [],
    expected: 613566756,
  },
  {
    name: "mod by k",
    program: [lda(0xdfe03de1), alu("mod", 0xdead), retA],
    packet: [],
    expected: 0x3154,
  },
  { name: "add wraps", program: [lda(0xffffffff), alu("add", 2), retA], packet: [], expected: 1 },
  { name: "sub wraps", program: [lda(1), alu("sub", 2), retA], packet: [], expected: 0xffffffff },
  {
    name: "mul wraps",
    program: [lda(0x10001), alu("mul", 0x10001), retA],
    packet: [],
    expected: 0x20001,
  },
  { name: "neg", program: [lda(1), { kind: "Negate" }, retA], packet: [], expected: 0xffffffff },
  { name: "neg 0", program: [{ kind: "Negate" }, retA], packet: [], expected: 0 },
  {
    name: "and high bit",
    program: [lda(0xffffffff), alu("and", 0x80000000), retA],
    packet: [],
    expected: 0x80000000,
  },
  {
    name: "or",
    program: [lda(0x0f), alu("or", 0xf0000000), retA],
    packet: [],
    expected: 0xf000000f,
  },
  {
    name: "xor",
    program: [lda(0xff), alu("xor", 0xffffffff), retA],
    packet: [],
    expected: 0xffffff00,
  },
  {
    name: "lsh by X >= 32 gives 0",
    program: [lda(3), ldx(33), alu("lsh"), retA],
    packet: [],
    expected: 0,
  },
  {
    name: "rsh by X >= 32 gives 0",
    program: [lda(0x80000000), ldx(32), alu("rsh"), retA],
    packet: [],
    expected: 0,
  },
  {
    name: "lsh by X = 31",
    program: [lda(3), ldx(31), alu("lsh"), retA],
    packet: [],
    expected: 0x80000000,
  },
  {
    name: "lsh by k = 33 uses 1 (x86)",
    program: [lda(3), alu("lsh", 33), retA],
    packet: [],
    expected: 6,
  },
  { name: "rsh by k", program: [lda(0x80000000), alu("rsh", 31), retA], packet: [], expected: 1 },
  {
    name: "scratch memory round trip and zero start",
    program: [
      lda(5),
      { kind: "Store", src: "A", slot: 3 },
      ldx(9),
      { kind: "Store", src: "X", slot: 15 },
      { kind: "LoadScratch", dst: "A", slot: 15 },
      { kind: "LoadScratch", dst: "X", slot: 3 },
      alu("add"),
      { kind: "LoadScratch", dst: "X", slot: 7 },
      alu("add"),
      retA,
    ],
    packet: [],
    expected: 14,
  },
  {
    name: "jeq taken",
    program: [ld(2, 6), jeq(0x86dd, 0, 1), ret(1), ret(2)],
    packet: PACKET,
    expected: 1,
  },
  {
    name: "jeq not taken",
    program: [ld(2, 6), jeq(0x800, 0, 1), ret(1), ret(2)],
    packet: PACKET,
    expected: 2,
  },
  {
    name: "jgt is unsigned",
    program: [
      lda(0x80000000),
      { kind: "JumpConstant", test: "jgt", value: 1, skipTrue: 0, skipFalse: 1 },
      ret(1),
      ret(2),
    ],
    packet: [],
    expected: 1,
  },
  {
    name: "jge x equal",
    program: [
      lda(7),
      ldx(7),
      { kind: "JumpX", test: "jge", skipTrue: 1, skipFalse: 0 },
      ret(1),
      ret(2),
    ],
    packet: [],
    expected: 2,
  },
  {
    name: "jset x",
    program: [
      lda(6),
      ldx(8),
      { kind: "JumpX", test: "jset", skipTrue: 1, skipFalse: 0 },
      ret(1),
      ret(2),
    ],
    packet: [],
    expected: 1,
  },
  {
    name: "ja forward",
    program: [{ kind: "JumpAlways", skip: 1 }, ret(1), ret(2)],
    packet: [],
    expected: 2,
  },
  {
    name: "backward ja loop (protochain style) counts to 200",
    program: [
      { kind: "LoadScratch", dst: "A", slot: 0 },
      alu("add", 1),
      { kind: "Store", src: "A", slot: 0 },
      { kind: "JumpConstant", test: "jge", value: 200, skipTrue: 1, skipFalse: 0 },
      { kind: "JumpAlways", skip: -5 },
      retA,
    ],
    packet: [],
    expected: 200,
  },
  {
    name: "endless backward loop is cut off",
    program: [lda(1), { kind: "JumpConstant", test: "jeq", value: 1, skipTrue: 0, skipFalse: 1 }, {
      kind: "JumpAlways",
      skip: -2,
    }, ret(5)],
    packet: [],
    expected: 0,
  },
  {
    name: "loop of exactly MAX_BACKWARD_JUMPS iterations completes",
    program: [
      { kind: "LoadScratch", dst: "A", slot: 0 },
      alu("add", 1),
      { kind: "Store", src: "A", slot: 0 },
      { kind: "JumpConstant", test: "jgt", value: MAX_BACKWARD_JUMPS, skipTrue: 1, skipFalse: 0 },
      { kind: "JumpAlways", skip: -5 },
      retA,
    ],
    packet: [],
    expected: MAX_BACKWARD_JUMPS + 1,
  },
];

Deno.test("bpf runners: table rows agree and give the expected verdict", () => {
  for (const row of ROWS) {
    const program = row.program.map(toRaw);
    const matcher = jitCompile(program);
    const offset = row.offset ?? 0;
    const bytes = new Uint8Array(offset + row.packet.length).fill(0xee);
    bytes.set(row.packet, offset);
    const caplen = row.caplen ?? row.packet.length;
    const got = verdict(program, matcher, bytes, offset, caplen, row.wirelen ?? caplen, row.name);
    assertEquals(got, row.expected, row.name);
  }
});

Deno.test("bpf runners: scratch memory is cleared between packets", () => {
  const program = [
    { kind: "LoadScratch", dst: "A", slot: 2 },
    alu("add", 1),
    { kind: "Store", src: "A", slot: 2 },
    retA,
  ].map((insn) => toRaw(insn as Instruction));
  const matcher = jitCompile(program);
  for (let i = 0; i < 3; i++) {
    assertEquals(verdict(program, matcher, new Uint8Array(0), 0, 0, 0, "scratch"), 1);
  }
});

const PROGRAMS = 2500;
const PACKETS = 24;

Deno.test("bpf runners: random programs on random packets, interpreter == JIT", () => {
  const rng = new Rng(seededRandom(0xb9f1));
  const packets = Array.from({ length: PACKETS }, () => randomPacket(rng));
  for (let n = 0; n < PROGRAMS; n++) {
    const program = randomProgram(rng, { loops: n % 10 === 0 });
    const matcher = jitCompile(program);
    for (const packet of packets) {
      const caplen = rng.chance(0.2) ? rng.int(packet.data.length + 1) : packet.data.length;
      verdict(program, matcher, packet.data, 0, caplen, packet.wirelen, `program ${n}`);
    }
  }
});

const unavailable = oracleUnavailable();

Deno.test({
  name: "bpf runners: random programs agree with libpcap's pcap_offline_filter",
  ignore: unavailable !== undefined,
  async fn() {
    const rng = new Rng(seededRandom(0x1ca9));
    const packets = Array.from({ length: PACKETS }, () => randomPacket(rng));
    const programs = Array.from({ length: 1500 }, () => randomProgram(rng, { clearScratch: true }));
    const results = await libpcapVerdicts(programs, packets);
    programs.forEach((program, n) => {
      assertEquals(results[n]!.valid, true, `libpcap validates program ${n}`);
      const matcher = jitCompile(program);
      packets.forEach((packet, p) => {
        const got = verdict(
          program,
          matcher,
          packet.data,
          0,
          packet.data.length,
          packet.wirelen,
          `program ${n}`,
        );
        assertEquals(got, results[n]!.verdicts[p], `libpcap verdict, program ${n}, packet ${p}`);
      });
    });
  },
});

/**
 * The optimiser keeps every verdict: original and optimised programs run on
 * the same packets (random programs, and libpcap's own programs with and
 * without libpcap's optimiser) and must agree packet by packet.
 */
import { assert, assertEquals } from "../support/assert.ts";
import type { RawProgram } from "../../src/bpf/program/raw_instruction.ts";
import { optimizeProgram } from "../../src/bpf/program/optimize.ts";
import { jitCompile } from "../../src/bpf/program/jit.ts";
import { interpret } from "../../src/bpf/program/interpret.ts";
import { parseProgramText } from "../../src/bpf/program/parse_program.ts";
import {
  filterLikePacket,
  filterLikeProgram,
  randomPacket,
  randomProgram,
  Rng,
  seededRandom,
  type TestPacket,
} from "./random_program.ts";
import type { GoldenDump } from "./make_golden.ts";

/** Optimiser failures throw in the tests instead of falling back to the input. */
const STRICT = { strict: true } as const;

function assertSameVerdicts(
  original: RawProgram,
  optimized: RawProgram,
  packets: readonly TestPacket[],
  context: string,
): void {
  const matcher = jitCompile(optimized);
  for (let p = 0; p < packets.length; p++) {
    const { data, wirelen } = packets[p]!;
    const before = interpret(original, data, 0, data.length, wirelen);
    const after = interpret(optimized, data, 0, data.length, wirelen);
    const compiled = matcher(data, 0, data.length, wirelen);
    if (before !== after || after !== compiled) {
      assertEquals([after, compiled], [before, before], `${context}, packet ${p}`);
    }
  }
}

/** Ethernet-looking packets: IPv4/IPv6/ARP/VLAN headers with random fields, often truncated. */
function etherPacket(rng: Rng): TestPacket {
  const packet = randomPacket(rng);
  const data = new Uint8Array(14 + 40 + 20 + rng.int(40));
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  const type = rng.pick([0x0800, 0x86dd, 0x0806, 0x8100, 0x8847, 0x8864, 0x0800, 0x0800]);
  data[12] = type >> 8;
  data[13] = type & 0xff;
  if (type === 0x0800) {
    data[14] = rng.pick([0x45, 0x46, 0x4f, 0x45]);
    data[20] = rng.chance(0.8) ? 0 : rng.int(256);
    data[21] = rng.chance(0.8) ? 0 : rng.int(256);
    data[23] = rng.pick([6, 17, 1, 2, 47, 50, 132]);
    if (rng.chance(0.5)) data.set([10, 0, rng.int(3), rng.int(3)], 26 + rng.int(2) * 4);
    data[34] = 0;
    data[35] = rng.pick([53, 80, 22, 443]);
  } else if (type === 0x86dd) {
    data[20] = rng.pick([6, 17, 58, 0, 44, 43]);
  } else if (type === 0x8100) {
    data[16] = 0x08;
    data[17] = 0;
    data[18] = 0x45;
  }
  const caplen = rng.chance(0.15) ? rng.int(data.length) : data.length;
  return { data: data.subarray(0, caplen), wirelen: Math.max(packet.wirelen, caplen) };
}

Deno.test("bpf optimize: random programs keep their verdicts", () => {
  const rng = new Rng(seededRandom(0x0971));
  const packets = [
    ...Array.from({ length: 24 }, () => randomPacket(rng)),
    ...Array.from({ length: 8 }, () => etherPacket(rng)),
  ];
  let before = 0;
  let after = 0;
  for (let n = 0; n < 2500; n++) {
    const program = randomProgram(rng, { loops: n % 20 === 0 });
    const optimized = optimizeProgram(program, STRICT);
    before += program.length;
    after += optimized.length;
    assertSameVerdicts(program, optimized, packets, `random program ${n}`);
  }
  assert(after < before * 0.95, `the optimiser removes something (${before} -> ${after})`);
});

Deno.test("bpf optimize: filter-shaped random programs keep their verdicts", () => {
  const rng = new Rng(seededRandom(0xf11e));
  const packets = Array.from({ length: 300 }, () => filterLikePacket(rng));
  let before = 0;
  let after = 0;
  for (let n = 0; n < 3000; n++) {
    const program = filterLikeProgram(rng);
    const optimized = optimizeProgram(program, STRICT);
    before += program.length;
    after += optimized.length;
    assertSameVerdicts(program, optimized, packets, `filter-like program ${n}`);
  }
  assert(after < before * 0.8, `the optimiser removes a good part (${before} -> ${after})`);
});

Deno.test("bpf optimize: libpcap programs keep their verdicts and unoptimised ones shrink", async () => {
  const golden: GoldenDump[] = JSON.parse(
    await Deno.readTextFile(new URL("./fixtures/golden_dumps.json", import.meta.url)),
  );
  const rng = new Rng(seededRandom(0x1ff));
  const packets = Array.from({ length: 400 }, () => etherPacket(rng));
  let shrunk = 0;
  for (const g of golden) {
    const program = parseProgramText(g.ddd, g.expression);
    const optimized = optimizeProgram(program, STRICT);
    assertSameVerdicts(program, optimized, packets, g.expression);
    assert(optimized.length <= program.length, `${g.expression} does not grow`);
    if (g.unoptimized && optimized.length < program.length) shrunk++;
  }
  assert(shrunk >= 4, `most unoptimised (-O) programs shrink (${shrunk})`);
});

Deno.test("bpf optimize: the documented rewrites happen", () => {
  const i = (code: number, k = 0, jt = 0, jf = 0) => ({ code, jt, jf, k });
  // ldh [12]; jeq 0x800 → (true) ldh [12] again; jeq 0x86dd (decided false)
  const program = [
    i(0x28, 12),
    i(0x15, 0x800, 0, 3),
    i(0x28, 12), // redundant reload
    i(0x15, 0x86dd, 2, 0), // decided: A == 0x800
    i(0x06, 0),
    i(0x05, 0), // ja to next: dropped
    i(0x06, 96),
    i(0x00, 5), // unreachable
    i(0x06, 0),
  ];
  const optimized = optimizeProgram(program, STRICT);
  assertEquals(optimized, [i(0x28, 12), i(0x15, 0x800, 0, 1), i(0x06, 0), i(0x06, 96)]);
  // A constant test folds away, then the arithmetic nobody reads.
  assertEquals(
    optimizeProgram([i(0x00, 7), i(0x04, 1), i(0x15, 8, 0, 1), i(0x06, 1), i(0x06, 0)], STRICT),
    [i(0x06, 1)],
  );
  // Before `ret #0` even a load that may fail goes: rejecting early is the same verdict.
  assertEquals(
    optimizeProgram(
      [i(0x28, 12), i(0x15, 0x800, 0, 2), i(0x20, 1000), i(0x06, 0), i(0x06, 9)],
      STRICT,
    ),
    [i(0x28, 12), i(0x15, 0x800, 0, 1), i(0x06, 0), i(0x06, 9)],
  );
  // A mask test becomes jset when nothing reads A after it...
  assertEquals(
    optimizeProgram([i(0x30, 0), i(0x54, 2), i(0x15, 0, 1, 0), i(0x06, 7), i(0x06, 0)], STRICT),
    [i(0x30, 0), i(0x45, 2, 0, 1), i(0x06, 7), i(0x06, 0)],
  );
  // ...but not when A (the masked value) is stored or returned afterwards.
  const storesA = [
    i(0x30, 0),
    i(0x54, 2),
    i(0x15, 0, 4, 0),
    i(0x02, 0), // st M[0]: reads the masked A
    i(0x00, 9),
    i(0x60, 0),
    i(0x16),
    i(0x06, 0),
  ];
  assertEquals(optimizeProgram(storesA, STRICT).some((insn) => insn.code === 0x45), false);
  const returnsA = [i(0x30, 0), i(0x54, 2), i(0x25, 0, 0, 1), i(0x16), i(0x06, 0)];
  assertEquals(optimizeProgram(returnsA, STRICT), returnsA);
  // Before another return only loads that cannot fail go ([12] was tested before).
  assertEquals(
    optimizeProgram([
      i(0x28, 12),
      i(0x15, 0x800, 0, 3),
      i(0x20, 1000),
      i(0x28, 12),
      i(0x06, 5),
      i(0x06, 0),
    ], STRICT),
    [i(0x28, 12), i(0x15, 0x800, 0, 2), i(0x20, 1000), i(0x06, 5), i(0x06, 0)],
  );
});

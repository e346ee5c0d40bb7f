/**
 * The `-d` printer against libpcap's own `bpf_image` for every 8-bit opcode
 * (known or not), with operands that exercise signed printing, hex, Linux
 * ancillary offsets and jump targets.
 */
import { assertEquals } from "../support/assert.ts";
import { instructionImage } from "../../src/bpf/program/image.ts";
import { libpcapDumps, libpcapImages, oracleUnavailable } from "./libpcap_oracle.ts";
import { dumpProgram } from "../../src/bpf/program/dump.ts";
import { randomProgram, Rng, seededRandom } from "./random_program.ts";

const unavailable = oracleUnavailable();

Deno.test({
  name: "bpf image: every opcode prints as libpcap's bpf_image",
  ignore: unavailable !== undefined,
  async fn() {
    const ks = [0, 1, 12, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff1, 262144];
    for (let off = 0; off < 72; off++) ks.push(0xfffff000 + off);
    const items = [];
    for (let code = 0; code < 0x100; code++) {
      for (const k of ks) items.push({ code, jt: k & 0xff, jf: (k >>> 3) & 0xff, k, n: k % 300 });
    }
    items.push({ code: 0x115, jt: 1, jf: 2, k: 3, n: 4 }, {
      code: 0xffff,
      jt: 0,
      jf: 0,
      k: 0,
      n: 999,
    });
    const expected = await libpcapImages(items);
    const actual = items.map((it) => instructionImage(it, it.n));
    for (let i = 0; i < items.length; i++) {
      if (actual[i] !== expected[i]) {
        assertEquals(
          actual[i],
          expected[i],
          `code 0x${items[i]!.code.toString(16)} k ${items[i]!.k}`,
        );
      }
    }
  },
});

Deno.test({
  name: "bpf dump: -d/-dd/-ddd of random programs print as libpcap's bpf_dump",
  ignore: unavailable !== undefined,
  async fn() {
    const rng = new Rng(seededRandom(0xd0d0));
    const programs = Array.from({ length: 300 }, () => randomProgram(rng, { loops: true }));
    // Opcodes libpcap cannot run print too (as "unimp"): mix some in.
    programs.push(
      programs[0]!.map((insn, i) => (i % 3 === 0 ? { ...insn, code: i * 7 % 256 } : insn)),
    );
    for (const level of [1, 2, 3] as const) {
      const expected = await libpcapDumps(programs, level);
      assertEquals(programs.map((p) => dumpProgram(p, level)).join(""), expected, `level ${level}`);
    }
  },
});

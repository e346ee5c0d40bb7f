/**
 * Our validator against libpcap's `bpf_validate` on random programs built
 * from known opcodes with random jump offsets, constants and scratch slots,
 * and a random last instruction. Documented divergences (stricter here,
 * as libpcap's newer validator is):
 * - `ja` to itself (k = 0xffffffff): libpcap 1.10 accepts it and then loops
 *   forever on every packet; we refuse the program.
 * - opcodes libpcap's interpreter does not run (e.g. 0x0e, or bits above
 *   0xff): libpcap 1.10 accepts some by class and then rejects every packet
 *   at run time; we refuse the program (see instruction_test.ts).
 */
import { assertEquals } from "../support/assert.ts";
import type { RawInstruction } from "../../src/bpf/program/raw_instruction.ts";
import { validateProgram } from "../../src/bpf/program/validate.ts";
import { InvalidProgramError } from "../../src/bpf/program/program_errors.ts";
import { KNOWN_OPCODES } from "../../src/bpf/program/instruction.ts";
import { libpcapVerdicts, oracleUnavailable } from "./libpcap_oracle.ts";
import { Rng, seededRandom } from "./random_program.ts";

// Programs are drawn from the opcodes libpcap runs; the oracle says which programs are valid.
const KNOWN = [...KNOWN_OPCODES];
const KS = [0, 1, 2, 3, 15, 16, 17, 31, 32, 0x7fffffff, 0xfffffffe, 0xfffffffd, 0xfffffff0];

function randomRaw(rng: Rng): RawInstruction[] {
  const length = 1 + rng.int(8);
  return Array.from({ length }, (_, pc) => {
    const last = pc === length - 1;
    const code = last && rng.chance(0.8) ? rng.pick([0x06, 0x16]) : rng.pick(KNOWN);
    let k = rng.pick(KS);
    if (code === 0x05 && k === 0xffffffff) k = 0;
    return { code, jt: rng.int(9), jf: rng.int(9), k };
  });
}

function weAccept(program: RawInstruction[]): boolean {
  try {
    validateProgram(program);
    return true;
  } catch (error) {
    if (error instanceof InvalidProgramError) return false;
    throw error;
  }
}

const unavailable = oracleUnavailable();

Deno.test({
  name: "bpf validate: agrees with libpcap's bpf_validate on random programs",
  ignore: unavailable !== undefined,
  async fn() {
    const rng = new Rng(seededRandom(0x7a11d));
    const programs = Array.from({ length: 20000 }, () => randomRaw(rng));
    const results = await libpcapVerdicts(programs, []);
    let accepted = 0;
    programs.forEach((program, n) => {
      const ours = weAccept(program);
      assertEquals(ours, results[n]!.valid, `program ${n}: ${JSON.stringify(program)}`);
      if (ours) accepted++;
    });
    // Both outcomes must be well represented for the comparison to mean something.
    assertEquals(accepted > 1000 && accepted < 19000, true, `accepted ${accepted}`);
  },
});

Deno.test({
  name: "bpf validate: the documented divergences from libpcap 1.10",
  ignore: unavailable !== undefined,
  async fn() {
    const jaSelf = [{ code: 0x05, jt: 0, jf: 0, k: 0xffffffff }, {
      code: 0x06,
      jt: 0,
      jf: 0,
      k: 1,
    }];
    const retX = [{ code: 0x0e, jt: 0, jf: 0, k: 0 }, { code: 0x06, jt: 0, jf: 0, k: 1 }];
    const [self, unknown] = await libpcapVerdicts([jaSelf, retX], []);
    assertEquals([self!.valid, weAccept(jaSelf)], [true, false]);
    assertEquals([unknown!.valid, weAccept(retX)], [true, false]);
  },
});

/**
 * "expression rejects all packets": fmagent refuses a filter on that ground
 * exactly when tcpdump (libpcap's optimiser on) does, over the oracle
 * fixtures and seeded conjunctions of primitives, negated and repeated, of
 * which about one in four is refused. FMAGENT_FUZZ_SEED / FMAGENT_FUZZ_COUNT
 * explore further. The decision rests on the `exactGencode` program having
 * gencode.c's blocks and jumps, which is checked against `tcpdump -O`. The
 * CLI refuses with exit status 2, and `bpf -O` (no optimiser, as
 * `tcpdump -O`) still prints the program.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { fmagent } from "../support/cli.ts";
import { compileProgram } from "../../src/bpf/compile_filter.ts";
import { FilterRejectsAllError } from "../../src/bpf/errors.ts";
import { conjunctionGenerator } from "./support/expression_generator.ts";
import { readFixture } from "./support/corpus.ts";
import { pool, tcpdumpAccepts, tcpdumpProgramText } from "./support/tcpdump_oracle.ts";
import { parseProgramText } from "../../src/bpf/program/parse_program.ts";
import type { RawProgram } from "../../src/bpf/program/raw_instruction.ts";
import { toBlockGraph } from "../../src/bpf/program/rejects_all/blocks.ts";

const seed = Number(Deno.env.get("FMAGENT_FUZZ_SEED") ?? 20261129);
const count = Number(Deno.env.get("FMAGENT_FUZZ_COUNT") ?? 300);
const REJECTS_ALL = "expression rejects all packets";

Deno.test(`refused as "rejects all packets" exactly when tcpdump refuses (seed ${seed})`, async () => {
  const fixtures = (await readFixture("expressions.txt")).map((f) => f.expression);
  const next = conjunctionGenerator(seed);
  const expressions = [...fixtures, ...Array.from({ length: count }, next)];
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-rejects-all-" });
  try {
    const verdicts = await pool(expressions.map((e) => () => tcpdumpAccepts(e, dir)), 4);
    const failures: string[] = [];
    let refused = 0;
    expressions.forEach((expression, i) => {
      const theirs = verdicts[i]!.error.includes(REJECTS_ALL);
      let ours = false;
      let message = "accepts";
      try {
        compileProgram(expression, { netmask: 0 });
      } catch (error) {
        ours = error instanceof FilterRejectsAllError;
        message = (error as Error).message.split("\n")[0]!;
      }
      if (theirs) refused++;
      if (ours !== theirs) {
        failures.push(
          `${expression}: fmagent ${message}; tcpdump ${verdicts[i]!.error || "accepts"}`,
        );
      }
    });
    if (failures.length > 0) {
      throw new Error(
        `${failures.length} of ${expressions.length} differ:\n${failures.join("\n")}`,
      );
    }
    // The generator must keep producing refusals, or this test checks little.
    assert(refused >= count / 10, `only ${refused} of ${expressions.length} refused by tcpdump`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A program's basic blocks, numbered as libpcap's optimiser numbers them, one line each. */
function blockShape(program: RawProgram): string {
  return toBlockGraph(program).blocks.map((b) => {
    const stmts = b.stmts.map((s) => `${s.code}:${s.k}`).join(" ");
    return `${b.id}: ${stmts} | ${b.s.code}:${b.s.k} -> ${b.et.succ?.id} ${b.ef.succ?.id}`;
  }).join("\n");
}

Deno.test("exactGencode programs have the blocks and jumps of tcpdump -O's", async () => {
  const expressions = [
    ...(await readFixture("expressions.txt")),
    ...(await readFixture("golden_expressions.txt")),
  ].map((f) => f.expression);
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-gencode-" });
  try {
    const texts = await pool(expressions.map((e) => () => tcpdumpProgramText(e, dir, false)), 4);
    const failures: string[] = [];
    expressions.forEach((expression, i) => {
      const text = texts[i];
      if (text === undefined) return; // refused by tcpdump -O (reject tests cover those)
      const ours = compileProgram(expression, { netmask: 0, optimize: false, exactGencode: true });
      if (blockShape(ours) !== blockShape(parseProgramText(text))) failures.push(expression);
    });
    if (failures.length > 0) {
      throw new Error(`${failures.length} differ from tcpdump -O:\n${failures.join("\n")}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fmagent bpf refuses `ip and ip6` with exit status 2; with -O prints it", async () => {
  const refused = await fmagent(["bpf", "ip and ip6"]);
  assertEquals(refused.code, 2);
  assertMatch(refused.stderr, /expression rejects all packets/);
  const unoptimized = await fmagent(["bpf", "-O", "ip and ip6"]);
  assertEquals(unoptimized.code, 0);
  assertMatch(unoptimized.text, /jeq +#0x86dd/);
});

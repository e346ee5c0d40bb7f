/**
 * Golden tests for the printers: libpcap's own programs (recorded from
 * `tcpdump -ddd EXPR` in fixtures/golden_dumps.json) are loaded with our
 * loader and printed in all three formats, which must equal tcpdump's output
 * byte for byte. Tests the printers and the loader independently of the
 * filter compiler. Regenerate with `deno run -A tests/bpf_program/make_golden.ts`.
 */
import { assertEquals } from "../support/assert.ts";
import { dumpProgram } from "../../src/bpf/program/dump.ts";
import { parseProgramText } from "../../src/bpf/program/parse_program.ts";
import { type GoldenDump, tcpdumpDump } from "./make_golden.ts";
import { GOLDEN_EXPRESSIONS } from "./golden_expressions.ts";

const GOLDEN: readonly GoldenDump[] = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/golden_dumps.json", import.meta.url)),
);

Deno.test("bpf dump: golden fixtures cover every listed expression", () => {
  assertEquals(GOLDEN.length, GOLDEN_EXPRESSIONS.length);
  assertEquals(GOLDEN.length >= 100, true, "at least 100 golden programs");
});

for (const golden of GOLDEN) {
  const label = `${golden.unoptimized ? "-O " : ""}${golden.expression}`;
  Deno.test(`bpf dump: ${label} prints as tcpdump -d/-dd/-ddd`, () => {
    const program = parseProgramText(golden.ddd, label);
    assertEquals(dumpProgram(program, 1), golden.d, "-d");
    assertEquals(dumpProgram(program, 2), golden.dd, "-dd");
    assertEquals(dumpProgram(program, 3), golden.ddd, "-ddd");
    assertEquals(parseProgramText(golden.dd, label), program, "-dd text loads the same program");
  });
}

function hasTcpdump(): boolean {
  try {
    return new Deno.Command("tcpdump", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "bpf dump: fixtures still match the installed tcpdump",
  ignore: !hasTcpdump(),
  async fn() {
    // A sample keeps this quick; make_golden.ts regenerates them all.
    for (const golden of GOLDEN.filter((_, i) => i % 6 === 0)) {
      const d = await tcpdumpDump(golden.expression, "-d", golden.unoptimized);
      assertEquals(d, golden.d, golden.expression);
    }
  },
});

/**
 * Reject tests: every expression in fixtures/rejects.txt is refused by
 * tcpdump (checked here too) and by fmagent, with a typed error of exit status 2
 * (FilterRejectsAllError exactly where tcpdump says "expression rejects all packets").
 */
import { compileProgram } from "../../src/bpf/compile_filter.ts";
import { FilterRejectsAllError } from "../../src/bpf/errors.ts";
import { readFixture } from "./support/corpus.ts";
import { pool, tcpdumpAccepts } from "./support/tcpdump_oracle.ts";

Deno.test("expressions tcpdump refuses are refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-reject-" });
  try {
    const fixtures = await readFixture("rejects.txt");
    const verdicts = await pool(
      fixtures.map(({ expression }) => () => tcpdumpAccepts(expression, dir)),
      4,
    );
    const failures: string[] = [];
    fixtures.forEach(({ expression }, i) => {
      if (verdicts[i]!.ok) failures.push(`${expression}: tcpdump accepts it (fixture is wrong)`);
      try {
        compileProgram(expression);
        failures.push(`${expression}: fmagent accepted it (tcpdump: ${verdicts[i]!.error})`);
      } catch (error) {
        const code = (error as { exitCode?: unknown }).exitCode;
        if (code !== 2) failures.push(`${expression}: threw ${String(error)} without exitCode 2`);
        const rejectsAll = verdicts[i]!.error.includes("expression rejects all packets");
        if (rejectsAll !== error instanceof FilterRejectsAllError) {
          failures.push(`${expression}: fmagent: ${String(error)}; tcpdump: ${verdicts[i]!.error}`);
        }
      }
    });
    if (failures.length > 0) throw new Error(failures.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Golden tests: for the expressions in fixtures/golden_expressions.txt,
 * `fmagent bpf -d`, `-dd` and `-ddd` print byte for byte what tcpdump prints.
 */
import { run } from "../../src/cli/bpf.ts";
import { memoryIo } from "../support/memory_io.ts";
import { readFixture } from "./support/corpus.ts";
import { pool } from "./support/tcpdump_oracle.ts";

async function tcpdumpDump(flag: string, expression: string, dir: string): Promise<string> {
  const file = `${dir}/expr-${crypto.randomUUID()}.txt`;
  await Deno.writeTextFile(file, expression);
  try {
    const out = await new Deno.Command("tcpdump", {
      args: [flag, "-F", file],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("fmagent bpf prints what tcpdump prints for programs equal to libpcap's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-golden-" });
  try {
    const fixtures = await readFixture("golden_expressions.txt");
    const flags = ["-d", "-dd", "-ddd"];
    const jobs = fixtures.flatMap(({ expression }) =>
      flags.map((flag) => () => tcpdumpDump(flag, expression, dir))
    );
    const expected = await pool(jobs, 4);
    const failures: string[] = [];
    for (const [i, { expression }] of fixtures.entries()) {
      for (const [j, flag] of flags.entries()) {
        const io = memoryIo();
        const code = await run([flag, expression], io);
        const want = expected[i * flags.length + j]!;
        if (code !== 0 || io.stdout.text() !== want) {
          failures.push(
            `${flag} '${expression}':\n--- tcpdump\n${want}--- fmagent (exit ${code})\n${io.stdout.text()}${io.stderr.text()}`,
          );
        }
      }
    }
    if (failures.length > 0) throw new Error(failures.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

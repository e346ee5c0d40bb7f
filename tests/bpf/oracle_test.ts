/**
 * Oracle tests: for every expression in fixtures/expressions.txt, fmagent's
 * compiled filter (JIT, interpreter and unoptimised program agreeing)
 * selects exactly the packets tcpdump selects, over the whole shared corpus
 * plus generated packets. Compiled with `exactGencode` it must also select
 * exactly what libpcap's unoptimised program selects (`tcpdump -O`): the
 * lowering follows gencode.c. Where libpcap's optimiser changes the verdict on
 * frames too short for a load it drops or reorders, and fmagent does not
 * reproduce that, the expression is listed in fixtures/known_divergences.md
 * and only the `-O` comparison applies.
 */
import { selectWith } from "./support/select.ts";
import { buildTestCapture, knownDivergences, readFixture } from "./support/corpus.ts";
import { pool, tcpdumpSelect } from "./support/tcpdump_oracle.ts";

function sameSet(a: Set<number>, b: Set<number>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function difference(ours: Set<number>, theirs: Set<number>, who: string): string {
  const extra = [...ours].filter((i) => !theirs.has(i)).slice(0, 5);
  const missing = [...theirs].filter((i) => !ours.has(i)).slice(0, 5);
  return `fmagent selects ${ours.size}, ${who} ${theirs.size}; ` +
    `only fmagent: [${extra}], only ${who}: [${missing}]`;
}

Deno.test("filter expressions select the packets tcpdump selects", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-oracle-" });
  try {
    const { path, packets } = await buildTestCapture(dir, 4000, 1234);
    const fixtures = await readFixture("expressions.txt");
    const known = await knownDivergences();
    const jobs = fixtures.flatMap(({ expression }) => [
      () => tcpdumpSelect(path, expression, dir),
      () => tcpdumpSelect(path, expression, dir, false),
    ]);
    const verdicts = await pool(jobs, 4);
    const families = [...new Set(fixtures.map((f) => f.family))];
    for (const family of families) {
      await t.step(family, () => {
        const failures: string[] = [];
        fixtures.forEach(({ family: f, expression }, i) => {
          if (f !== family) return;
          const optimized = verdicts[2 * i]!;
          const unoptimized = verdicts[2 * i + 1]!;
          if (unoptimized.selected === undefined) {
            failures.push(`${expression}: tcpdump -O refused it (${unoptimized.error})`);
            return;
          }
          let ours: Set<number>;
          let exact: Set<number>;
          try {
            ours = selectWith(expression, packets);
            exact = selectWith(expression, packets, true);
          } catch (error) {
            failures.push(`${expression}: ${(error as Error).message}`);
            return;
          }
          if (!sameSet(exact, unoptimized.selected)) {
            failures.push(
              `${expression} (exactGencode): ${
                difference(exact, unoptimized.selected, "tcpdump -O")
              }`,
            );
          }
          if (known.has(expression)) return;
          if (optimized.selected === undefined) {
            failures.push(`${expression}: tcpdump refused it (${optimized.error})`);
          } else if (!sameSet(ours, optimized.selected)) {
            failures.push(`${expression}: ${difference(ours, optimized.selected, "tcpdump")}`);
          }
        });
        if (failures.length > 0) {
          throw new Error(`${failures.length} expression(s) differ:\n${failures.join("\n")}`);
        }
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

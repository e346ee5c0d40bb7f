/**
 * Grammar fuzzing against tcpdump: seeded random expressions over generated
 * packets. Each expression must be refused by both or accepted by both (also
 * where libpcap's optimiser refuses it: "expression rejects all packets"), and
 * when accepted, JIT, interpreter and unoptimised program must agree with
 * each other and, compiled with `exactGencode`, select exactly what libpcap's
 * program selects as gencode.c makes it (`tcpdump -O`). Optimised tcpdump can differ from that on frames
 * too short for a load its optimiser drops or reorders (known_divergences.md);
 * how many expressions do is printed.
 * Set FMAGENT_FUZZ_SEED / FMAGENT_FUZZ_COUNT to explore.
 */
import { expressionGenerator } from "./support/expression_generator.ts";
import { generatePackets } from "./support/packet_generator.ts";
import { pcapBytes } from "./support/pcap_file.ts";
import { pool, tcpdumpSelect } from "./support/tcpdump_oracle.ts";
import { selectWith } from "./support/select.ts";

const seed = Number(Deno.env.get("FMAGENT_FUZZ_SEED") ?? 20261129);
const count = Number(Deno.env.get("FMAGENT_FUZZ_COUNT") ?? 200);

Deno.test(`random expressions agree with tcpdump (seed ${seed}, ${count} expressions)`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-fuzz-" });
  try {
    const packets = generatePackets(1500, seed);
    const path = `${dir}/fuzz.pcap`;
    await Deno.writeFile(path, pcapBytes(packets));
    const next = expressionGenerator(seed);
    const expressions = Array.from({ length: count }, next);
    const verdicts = await pool(
      expressions.map((e) => () => tcpdumpSelect(path, e, dir, false)),
      4,
    );
    const optimized = await pool(expressions.map((e) => () => tcpdumpSelect(path, e, dir)), 4);
    let optimizerDivergences = 0;
    const failures: string[] = [];
    expressions.forEach((expression, i) => {
      const theirs = verdicts[i]!;
      let ours: Set<number> | undefined;
      let exact: Set<number> | undefined;
      let error = "";
      try {
        ours = selectWith(expression, packets);
        exact = selectWith(expression, packets, true);
      } catch (e) {
        error = (e as Error).message;
      }
      if (theirs.selected === undefined) {
        if (ours !== undefined) {
          failures.push(`${expression}: tcpdump refuses (${theirs.error}), fmagent accepts`);
        }
        return;
      }
      // libpcap's optimiser refuses what it reduces to `ret #0` (or fails on); fmagent must too.
      const optimizerRefusal = optimized[i]!.selected === undefined ? optimized[i]!.error : "";
      if (optimizerRefusal !== "") {
        const reason = error.split("\n")[0]!.replace(/^Cannot compile filter: /, "");
        if (ours !== undefined || reason === "" || !optimizerRefusal.endsWith(reason)) {
          failures.push(
            `${expression}: tcpdump: ${optimizerRefusal}; fmagent: ${error || "accepts"}`,
          );
        }
        return;
      }
      if (ours === undefined || exact === undefined) {
        failures.push(`${expression}: fmagent refuses (${error.split("\n")[0]}), tcpdump accepts`);
        return;
      }
      const opt = optimized[i]!.selected;
      const equal = (x: Set<number>, y: Set<number> | undefined) =>
        y !== undefined && x.size === y.size && [...x].every((v) => y.has(v));
      if (!equal(exact, theirs.selected)) {
        failures.push(
          `${expression}: fmagent (exactGencode) selects ${exact.size}, tcpdump -O ${theirs.selected.size}`,
        );
      } else if (!equal(ours, opt)) {
        optimizerDivergences++;
      }
    });
    console.log(
      `${optimizerDivergences} of ${count} expressions differ from optimised tcpdump only (short frames; known_divergences.md)`,
    );
    if (failures.length > 0) {
      throw new Error(`${failures.length} of ${count} differ:\n${failures.join("\n")}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A long differential run of the "expression rejects all packets" decision
 * against the installed tcpdump, for the witness shortcut of
 * compile_filter.ts (a filter with a packet it accepts skips the replay of
 * libpcap's optimiser). Decides each expression twice, as fmagent does (with
 * the shortcut) and by the replay alone (without it), and counts where each
 * differs from tcpdump. Not a test (it takes minutes): run it by hand,
 *
 *   nice -n 19 deno run -A tests/bpf/support/rejects_all_differential.ts [COUNT] [SEED]
 *
 * COUNT (default 4000) expressions come from each of: random grammar
 * expressions, conjunctions (a quarter of them refused by tcpdump),
 * contradictions built from random primitives (`P and not P`, ...), and
 * relations with `/ % << >>`; the fixture files are added. Prints a summary
 * and every mismatch.
 */
import { acceptsWitness, compileProgram } from "../../../src/bpf/compile_filter.ts";
import { parseFilter } from "../../../src/bpf/lang/parse.ts";
import { FilterRejectsAllError } from "../../../src/bpf/errors.ts";
import { conjunctionGenerator, expressionGenerator } from "./expression_generator.ts";
import { random } from "./packet_generator.ts";
import { readFixture } from "./corpus.ts";
import { pool, tcpdumpAccepts } from "./tcpdump_oracle.ts";

const REJECTS_ALL = "expression rejects all packets";

/** Contradictions and near-contradictions of random expressions and primitives. */
function contradictionGenerator(seed: number): () => string {
  const rnd = random(seed);
  const expression = expressionGenerator(seed + 1);
  const conjunction = conjunctionGenerator(seed + 2);
  return () => {
    const e = rnd() < 0.5 ? expression() : conjunction();
    const other = rnd() < 0.5 ? expression() : conjunction();
    switch (Math.floor(rnd() * 5)) {
      case 0:
        return `(${e}) and not (${e})`;
      case 1:
        return `not (${e}) and (${e})`;
      case 2:
        return `(${e}) and (${other}) and not (${e})`;
      case 3:
        return `((${e}) or (${other})) and not (${e}) and not (${other})`;
      default:
        return `(${e}) and not ((${e}) or (${other}))`;
    }
  };
}

/**
 * Relations with `/`, `%`, `<<` and `>>` by literals (which take the witness
 * shortcut) and by expressions (which do not), alone, with protocols, and
 * contradicted.
 */
function arithmeticGenerator(seed: number): () => string {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const field = () =>
    pick(["len", "ip[0]", "ip[2:2]", "ip[9]", "tcp[12]", "tcp[13]", "udp[4:2]", "ether[12:2]"]);
  const operand = (op: string) =>
    rnd() < 0.7
      ? String(op === "<<" || op === ">>" ? Math.floor(rnd() * 40) : Math.floor(rnd() * 12))
      : pick(["(1 - 1)", "(2 + 3)", "ip[1]", "(len - 60)", "(32 + 1)", "tcp[0]"]);
  const relation = () => {
    const op = pick(["/", "%", "<<", ">>"]);
    const left = rnd() < 0.3 ? `(${field()} & ${pick([15, 240, 255, 3])})` : field();
    return `${left} ${op} ${operand(op)} ${pick([">", "<", "=", "!=", ">="])} ${
      Math.floor(rnd() * 300)
    }`;
  };
  return () => {
    const r = relation();
    switch (Math.floor(rnd() * 5)) {
      case 0:
        return r;
      case 1:
        return `${pick(["tcp", "udp", "ip", "ip6", "vlan"])} and ${r}`;
      case 2:
        return `tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420 and ${r}`;
      case 3:
        return `${r} and not (${r})`;
      default:
        return `${r} and ${relation()}`;
    }
  };
}

interface Decision {
  /** With the witness shortcut, as compileProgram decides. */
  readonly shortcut: boolean;
  /** By the replay of libpcap's optimiser alone. */
  readonly replay: boolean;
  /** The replay was skipped: a witness was found (and no `/ % << >>` by a non-literal). */
  readonly skipped: boolean;
  /** Some other error (both ways): not a rejects-all decision. */
  readonly otherError: string | undefined;
}

function decide(expression: string): Decision {
  let shortcut = false;
  let otherError: string | undefined;
  let skipped = false;
  try {
    const program = compileProgram(expression, { netmask: 0 });
    skipped = acceptsWitness(parseFilter(expression)!, program, undefined);
  } catch (error) {
    if (error instanceof FilterRejectsAllError) shortcut = true;
    else otherError = (error as Error).message.split("\n")[0]!;
  }
  let replay = false;
  try {
    compileProgram(expression, { netmask: 0, witnessShortcut: false });
  } catch (error) {
    replay = error instanceof FilterRejectsAllError;
  }
  return { shortcut, replay, skipped, otherError };
}

if (import.meta.main) {
  const count = Number(Deno.args[0] ?? 4000);
  const seed = Number(Deno.args[1] ?? 20261129);
  const fixtures = [
    ...(await readFixture("expressions.txt")),
    ...(await readFixture("golden_expressions.txt")),
    ...(await readFixture("rejects.txt")),
  ].map((f) => f.expression);
  const generators = [
    expressionGenerator(seed),
    conjunctionGenerator(seed + 10),
    contradictionGenerator(seed + 20),
    arithmeticGenerator(seed + 30),
  ];
  const expressions = [
    ...new Set([...fixtures, ...generators.flatMap((next) => Array.from({ length: count }, next))]),
  ];
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-rejects-differential-" });
  try {
    const started = performance.now();
    const verdicts = await pool(expressions.map((e) => () => tcpdumpAccepts(e, dir)), 2);
    let refused = 0, shortcutMismatches = 0, replayMismatches = 0, skipped = 0, errors = 0;
    let skippedArithmetic = 0;
    let errorMismatches = 0;
    const lines: string[] = [];
    expressions.forEach((expression, i) => {
      const tcpdump = verdicts[i]!;
      const theirs = tcpdump.error.includes(REJECTS_ALL);
      const ours = decide(expression);
      if (theirs) refused++;
      if (ours.skipped) skipped++;
      if (ours.skipped && /[/%]|<<|>>/.test(expression)) skippedArithmetic++;
      if (ours.otherError !== undefined) {
        errors++;
        // Any other refusal must be a refusal by tcpdump too (reject tests check the wording).
        if (tcpdump.ok) {
          errorMismatches++;
          lines.push(`other error, tcpdump accepts: ${expression}: ${ours.otherError}`);
        }
        return;
      }
      if (ours.shortcut !== theirs) {
        shortcutMismatches++;
        lines.push(
          `with shortcut: ${expression}: fmagent ${ours.shortcut ? "refuses" : "accepts"}, ` +
            `tcpdump ${tcpdump.error || "accepts"} (replay skipped: ${ours.skipped})`,
        );
      }
      if (ours.replay !== theirs) {
        replayMismatches++;
        lines.push(`replay alone: ${expression}: fmagent ${ours.replay ? "refuses" : "accepts"}`);
      }
    });
    for (const line of lines) console.log(line);
    console.log(
      `${expressions.length} expressions (${refused} refused by tcpdump as "${REJECTS_ALL}", ` +
        `${errors} refused by fmagent for other reasons; ${skipped} skipped the replay, ` +
        `${skippedArithmetic} of them with / % << >>) in ` +
        `${((performance.now() - started) / 1000).toFixed(0)} s: ` +
        `${shortcutMismatches} mismatches with the shortcut, ${replayMismatches} with the replay ` +
        `alone, ${errorMismatches} other errors tcpdump does not give`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

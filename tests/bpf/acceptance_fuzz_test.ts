/**
 * Acceptance fuzzing: expressions one edit away from the oracle fixtures (a
 * token deleted, inserted or replaced) are accepted by fmagent exactly when
 * tcpdump accepts them for an Ethernet capture file (and refused as libpcap's
 * optimiser refuses them: "expression rejects all packets"). Catches grammar
 * and semantic-check differences the hand-written reject list misses. Seeded;
 * FMAGENT_FUZZ_SEED / FMAGENT_FUZZ_COUNT explore further.
 */
import { compileProgram } from "../../src/bpf/compile_filter.ts";
import { lex } from "../../src/bpf/lang/lex.ts";
import { random } from "./support/packet_generator.ts";
import { readFixture } from "./support/corpus.ts";
import { pool, tcpdumpAccepts } from "./support/tcpdump_oracle.ts";

const seed = Number(Deno.env.get("FMAGENT_FUZZ_SEED") ?? 20261129);
const count = Number(Deno.env.get("FMAGENT_FUZZ_COUNT") ?? 300);

const VOCABULARY = [
  "tcp",
  "ip",
  "ip6",
  "host",
  "net",
  "port",
  "portrange",
  "src",
  "dst",
  "and",
  "or",
  "not",
  "(",
  ")",
  "[",
  "]",
  ":",
  "80",
  "1",
  "0",
  "1.2.3.4",
  "::1",
  "1:2:3:4:5:6",
  "proto",
  "len",
  ">",
  "=",
  "+",
  "-",
  "&",
  "^",
  "%",
  "vlan",
  "mpls",
  "broadcast",
  "multicast",
  "less",
  "mask",
  "/",
  "8",
  "\\tcp",
  "tcpflags",
  "protochain",
  "llc",
  "byte",
  "gateway",
  "geneve",
  "pppoes",
  "decnet",
  "isis",
];

Deno.test(`one-edit mutations are accepted exactly when tcpdump accepts them (seed ${seed})`, async () => {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const base = (await readFixture("expressions.txt")).map((f) => f.expression);
  const expressions: string[] = [];
  while (expressions.length < count) {
    const source = pick(base);
    const words = lex(source).filter((t) => t.kind !== "eof").map((t) =>
      source.slice(t.start, t.end)
    );
    const at = Math.floor(rnd() * words.length);
    const edit = rnd();
    if (edit < 0.33 && words.length > 1) words.splice(at, 1);
    else if (edit < 0.66) words.splice(at, 0, pick(VOCABULARY));
    else words[at] = pick(VOCABULARY);
    expressions.push(words.join(" "));
  }
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-accept-" });
  try {
    const verdicts = await pool(expressions.map((e) => () => tcpdumpAccepts(e, dir)), 4);
    const failures: string[] = [];
    expressions.forEach((expression, i) => {
      let ours = "accepted";
      try {
        compileProgram(expression, { netmask: 0 });
      } catch (error) {
        ours = (error as Error).message.split("\n")[0]!;
      }
      const theirs = verdicts[i]!;
      const refusalDiffers = !theirs.ok && theirs.error.includes("rejects all packets") &&
        !ours.includes("rejects all packets");
      if ((ours === "accepted") !== theirs.ok || refusalDiffers) {
        failures.push(
          `${expression}: fmagent ${ours}; tcpdump ${theirs.ok ? "accepts" : theirs.error}`,
        );
      }
    });
    if (failures.length > 0) {
      throw new Error(`${failures.length} of ${count} differ:\n${failures.join("\n")}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

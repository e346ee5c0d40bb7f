/**
 * Filter benchmarks (`deno run -A bench/filter_bench.ts`, also run by
 * `deno task bench`), printed as Markdown tables:
 * 1. `fmagent filter -r X -w /dev/null EXPR` vs `tcpdump -r X -w /dev/null
 *    EXPR` on the 1M-packet capture, wall time of the whole command;
 * 2. per-packet cost of the JIT-compiled matcher alone, in process, vs
 *    libpcap's interpreter (`pcap_offline_filter`) timed by bench/c/filter_cost.c
 *    over the same packets. Both run libpcap's own program (from
 *    `tcpdump -ddd EXPR`) so the runners are compared on equal terms; our
 *    compiler's program and our interpreter are reported beside them;
 * 3. compile time of each filter with our compiler.
 * Whole commands: median of interleaved runs; in-process figures: best of a
 * few repetitions. All figures come from the same run.
 */
import { RUNTIME_V8_FLAGS } from "../compile/permissions.ts";
import { ensureBenchCaptures } from "./data.ts";
import { compareCommands, fmagentCommand } from "./support/timing.ts";
import { CaptureReader } from "../src/pcap/capture_reader.ts";
import { parseProgramText } from "../src/bpf/program/parse_program.ts";
import { jitCompile, type PacketMatcher } from "../src/bpf/program/jit.ts";
import { interpreterMatcher } from "../src/bpf/program/interpret.ts";
import { optimizeProgram } from "../src/bpf/program/optimize.ts";
import type { RawProgram } from "../src/bpf/program/raw_instruction.ts";

const FILTERS = [
  "udp",
  "udp and port 53",
  "tcp[tcpflags] & tcp-syn != 0",
  "net 10.0.0.0/16 and not port 80",
  "vlan and ip[2:2] > 600",
];
const CLI_RUNS = 7;

const decoder = new TextDecoder();

const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function cliTable(capture: string, packets: number): Promise<void> {
  console.log(
    `\n### fmagent filter vs tcpdump (${packets.toLocaleString("en")} packets, 60–1200 B)\n`,
  );
  console.log(
    `Median of ${CLI_RUNS} runs after one warm-up, tcpdump and fmagent alternating, wall clock ` +
      "of the whole command (Deno start-up included).\n",
  );
  console.log(
    "| filter | tcpdump ms | fmagent ms | tcpdump Mpps | fmagent Mpps | fmagent speed vs tcpdump |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const expr of FILTERS) {
    let times: Map<string, number>;
    try {
      times = await compareCommands([
        { label: "tcpdump", cmd: "tcpdump", args: ["-r", capture, "-w", "/dev/null", expr] },
        fmagentCommand("fmagent", ["filter", "-r", capture, "-w", "/dev/null", expr]),
      ], CLI_RUNS);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
      console.log(`| \`${expr}\` | | | | | not available: ${reason} |`);
      continue;
    }
    const tcpdump = times.get("tcpdump")! * 1000;
    const fmagent = times.get("fmagent")! * 1000;
    console.log(
      `| \`${expr}\` | ${fmt(tcpdump, 0)} | ${fmt(fmagent, 0)} | ${
        fmt(packets / tcpdump / 1e3, 2)
      } | ${fmt(packets / fmagent / 1e3, 2)} | ${fmt(tcpdump / fmagent, 2)}× |`,
    );
  }
}

interface LoadedPackets {
  readonly bytes: Uint8Array;
  readonly offset: Uint32Array;
  readonly caplen: Uint32Array;
  readonly wirelen: Uint32Array;
  readonly count: number;
}

/** The first `limit` packets of `path`, copied into one buffer. */
async function loadPackets(path: string, limit: number): Promise<LoadedPackets> {
  const file = await Deno.open(path);
  const reader = await CaptureReader.open(file, path);
  const chunks: Uint8Array[] = [];
  const offset = new Uint32Array(limit);
  const caplen = new Uint32Array(limit);
  const wirelen = new Uint32Array(limit);
  let count = 0;
  let size = 0;
  for (
    let batch = await reader.next();
    batch !== null && count < limit;
    batch = await reader.next()
  ) {
    for (let i = 0; i < batch.count && count < limit; i++) {
      const start = batch.offset[i]!;
      const cap = batch.caplen[i]!;
      chunks.push(batch.bytes.slice(start, start + cap));
      offset[count] = size;
      caplen[count] = cap;
      wirelen[count] = batch.wirelen[i]!;
      size += cap;
      count++;
    }
  }
  file.close();
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, offset, caplen, wirelen, count };
}

interface Workload {
  readonly label: string;
  readonly count: number;
  readonly rounds: number;
  readonly passes: number;
  /** C and JS measurements alternate this many times per filter; the best of each is kept. */
  readonly repeats: number;
}

/** Packets hot in cache (the filter's own cost), and all packets streamed from memory. */
const WORKLOADS: readonly Workload[] = [
  { label: "1,024 packets in cache", count: 1024, rounds: 5, passes: 500, repeats: 7 },
  {
    label: "1M packets streamed from RAM (645 MB)",
    count: 1_000_000,
    rounds: 2,
    passes: 1,
    repeats: 3,
  },
];

type Loop = (
  bytes: Uint8Array,
  offset: Uint32Array,
  caplen: Uint32Array,
  wirelen: Uint32Array,
  count: number,
  passes: number,
) => number;

/**
 * A timing loop of its own for `match`: a shared loop would see many matchers
 * and stop V8 inlining them, which the filter command's loop (one matcher per
 * run) does not suffer from.
 */
function loopFor(match: PacketMatcher): Loop {
  return new Function(
    "match",
    `return function timed(bytes, offset, caplen, wirelen, count, passes) {
      let m = 0;
      for (let pass = 0; pass < passes; pass++) {
        for (let i = 0; i < count; i++) if (match(bytes, offset[i], caplen[i], wirelen[i]) !== 0) m++;
      }
      return m;
    };`,
  )(match) as Loop;
}

/** Best round's ns per packet; one warm-up round first so V8 has optimised the matcher. */
function timeMatcher(match: PacketMatcher, p: LoadedPackets, w: Workload) {
  const loop = loopFor(match);
  let best = Infinity;
  let matches = 0;
  for (let round = 0; round <= w.rounds; round++) {
    const start = performance.now();
    const m = loop(p.bytes, p.offset, p.caplen, p.wirelen, p.count, w.passes);
    const ns = ((performance.now() - start) * 1e6) / (p.count * w.passes);
    if (round > 0) best = Math.min(best, ns);
    matches = m / w.passes;
  }
  return { ns: best, matches };
}

async function libpcapProgram(expr: string): Promise<RawProgram> {
  const out = await new Deno.Command("tcpdump", {
    args: ["-y", "EN10MB", "-ddd", "--", expr],
    stdout: "piped",
    stderr: "null",
  }).output();
  return parseProgramText(decoder.decode(out.stdout), `tcpdump -ddd '${expr}'`);
}

async function buildFilterCost(dir: string): Promise<string> {
  const binary = `${dir}/filter_cost`;
  const source = new URL("./c/filter_cost.c", import.meta.url).pathname;
  const out = await new Deno.Command("gcc", {
    args: ["-O2", "-o", binary, source, "-lpcap"],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`gcc filter_cost.c: ${decoder.decode(out.stderr)}`);
  return binary;
}

type Compile = (expr: string) => { program: RawProgram; match: PacketMatcher };

async function loadCompiler(): Promise<Compile | string> {
  try {
    const mod = await import("../src/bpf/compile_filter.ts");
    return mod.compileFilter as Compile;
  } catch (error) {
    return `compileFilter not available: ${error instanceof Error ? error.message : error}`;
  }
}

/** libpcap's ns per packet and matches for `expr`, from the C program. */
async function libpcapCost(binary: string, capture: string, w: Workload, expr: string) {
  const out = await new Deno.Command(binary, {
    args: [capture, String(w.count), String(w.rounds), String(w.passes), expr],
    stdout: "piped",
  }).output();
  const [ns, matches] = decoder.decode(out.stdout).trim().split("\t").map(Number);
  return { ns: ns ?? NaN, matches: matches ?? NaN };
}

async function matcherTable(
  capture: string,
  binary: string,
  w: Workload,
  compile: Compile | string,
): Promise<void> {
  const packets = await loadPackets(capture, w.count);
  console.log(`\n### Matcher alone, ns per packet: ${w.label}\n`);
  console.log(
    "| filter | libpcap interpreter (C) | our JIT, libpcap's program | JIT speed vs libpcap | our interpreter | JIT, our optimiser on libpcap's program | JIT, our compiler's program | instructions (libpcap / our compiler) |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const expr of FILTERS) {
    const program = await libpcapProgram(expr);
    const optimizedProgram = optimizeProgram(program);
    const compiled = typeof compile === "string" ? undefined : compile(expr);
    const best = {
      c: Infinity,
      jit: Infinity,
      interp: Infinity,
      optimized: Infinity,
      ours: Infinity,
    };
    let cMatches = NaN;
    const mismatches = new Set<string>();
    const keep = (name: keyof typeof best, r: { ns: number; matches: number }) => {
      best[name] = Math.min(best[name], r.ns);
      if (name !== "c" && r.matches !== cMatches) mismatches.add(`${name} ${r.matches}`);
    };
    // Alternating C and JS, best of each: load that comes and goes hits both.
    for (let rep = 0; rep < w.repeats; rep++) {
      const c = await libpcapCost(binary, capture, w, expr);
      cMatches = c.matches;
      keep("c", c);
      keep("jit", timeMatcher(jitCompile(program), packets, w));
      if (rep === 0) keep("interp", timeMatcher(interpreterMatcher(program), packets, w));
      keep("optimized", timeMatcher(jitCompile(optimizedProgram), packets, w));
      if (compiled !== undefined) keep("ours", timeMatcher(compiled.match, packets, w));
    }
    const ours = compiled === undefined ? "n/a" : fmt(best.ours, 2);
    const sizes = `${program.length} / ${compiled?.program.length ?? "n/a"}`;
    const check = mismatches.size === 0
      ? ""
      : ` MISMATCH vs libpcap ${cMatches}: ${[...mismatches]}`;
    console.log(
      `| \`${expr}\` | ${fmt(best.c, 2)} | ${fmt(best.jit, 2)} | ${fmt(best.c / best.jit, 1)}× | ${
        fmt(best.interp, 2)
      } | ${fmt(best.optimized, 2)} | ${ours} | ${sizes} |${check}`,
    );
  }
}

const FRESH_PROCESSES = 11;

/** Median ms of `compileFilter(expr)` as the first compile of fresh processes run with `v8Flags`. */
async function firstCompileMs(expr: string, v8Flags: readonly string[]): Promise<number> {
  const script = new URL("./support/compile_once.ts", import.meta.url).pathname;
  const times: number[] = [];
  // One more run than counted: the first fills Deno's code cache for these flags.
  for (let i = 0; i <= FRESH_PROCESSES; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", ...v8Flags, script, expr],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    if (i > 0) times.push(Number(new TextDecoder().decode(out.stdout)));
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

async function compileTable(compile: Compile | string): Promise<void> {
  console.log("\n### Compile time of a filter (our compiler + JIT), ms\n");
  if (typeof compile === "string") {
    console.log(compile);
    return;
  }
  console.log(
    `First compile: the first filter a fresh process compiles, median of ${FRESH_PROCESSES} ` +
      "processes, with the V8 flags fmagent runs with (" + RUNTIME_V8_FLAGS.join(" ") +
      ") and with Deno's defaults. Warm: median of 200 in one process.\n",
  );
  console.log(
    "| filter | first compile, fmagent's flags | first compile, Deno's defaults | warm |",
  );
  console.log("|---|---:|---:|---:|");
  for (const expr of FILTERS) {
    const ours = await firstCompileMs(expr, RUNTIME_V8_FLAGS);
    const plain = await firstCompileMs(expr, []);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      compile(expr);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    console.log(
      `| \`${expr}\` | ${fmt(ours, 3)} | ${fmt(plain, 3)} | ${fmt(times[100]!, 3)} |`,
    );
  }
}

if (import.meta.main) {
  // Sections to run: any of compile, matcher, cli (default: all).
  const want = (section: string) => Deno.args.length === 0 || Deno.args.includes(section);
  const { mixed } = await ensureBenchCaptures();
  const compile = await loadCompiler();
  console.log("## Filter");
  // The matcher tables come first: the compile table's warm loop compiles each
  // filter 200 times, and every compile runs its matcher once on a witness packet
  // (compile_filter.ts); identical JIT sources share V8's feedback, so those calls
  // would shape the code the matcher table then times (vlan: 18 ns instead of 12).
  const dir = await Deno.makeTempDir({ prefix: "fmagent-filter-bench-" });
  try {
    const binary = await buildFilterCost(dir);
    if (want("matcher")) {
      for (const workload of WORKLOADS) await matcherTable(mixed, binary, workload, compile);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  if (want("compile")) await compileTable(compile);
  if (want("cli")) await cliTable(mixed, 1_000_000);
}

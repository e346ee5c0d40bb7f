/**
 * The ring benchmark (issue 3): produce → consume to /dev/null through a
 * ring in /dev/shm, on the two shared captures, for every pairing of fmagent
 * and the C peer (tests/ring/peer/ring_peer.c, fast mode: mmapped input,
 * spin-then-yield, ≥256 KB writes), plus the C peer in --stdio mode (4 KB
 * stdio buffers, one packet per Put/Get, the way pcap2fmadio → fmadio2pcap
 * work) as a stand-in for FMADIO's own pair. Also the CPU an idle consumer
 * (empty ring) and an idle producer (full ring) use, from /proc/PID/stat.
 *
 *   deno run -A bench/ring_bench.ts [--runs N] [--scale K] [--fmadio-bin DIR]
 *
 * `--fmadio-bin DIR` (or FMADIO_BIN=DIR, e.g. with `deno task bench ring`)
 * adds FMADIO's own tools from DIR: pcap2fmadio → fmadio2pcap (the reference
 * pair itself), fmagent → fmadio2pcap and pcap2fmadio → fmagent. They are
 * not part of this repository (on an FMADIO host they are installed; elsewhere
 * build them from fmadio/platform). pcap2fmadio reads the capture on stdin and
 * fmadio2pcap writes to stdout; the ring is reset by fmagent first, so it has
 * flow control on and no packet is lost. The stand-in pair above is faster
 * than FMADIO's pair (it polls without sleeping), so it is the harder bar.
 *
 * `--scale K` runs fmagent → fmagent and the reference pair only, on captures
 * K times as long (each one's records repeated K times): the per-packet rate
 * once start-up (Deno's, V8's compiling) weighs less.
 *
 * Each figure is the best of N runs (default 3): the time from starting the
 * producer (its start-up included) to the consumer's exit, and the CPU time
 * each side used in that run.
 */
import { ensureBenchCaptures } from "./data.ts";
import { RUNTIME_V8_FLAGS } from "../compile/permissions.ts";
import { PCAP_FILE_HEADER_LENGTH } from "../src/pcap/pcap_format.ts";
import { writeAll } from "../src/cli/io.ts";

const MAIN = new URL("../src/cli/main.ts", import.meta.url).pathname;
const PEER_SOURCE = new URL("../tests/ring/peer/ring_peer.c", import.meta.url).pathname;
const runsArg = Deno.args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 3;
const scaleArg = Deno.args.indexOf("--scale");
const SCALE = scaleArg >= 0 ? Number(Deno.args[scaleArg + 1]) : 1;
const fmadioArg = Deno.args.indexOf("--fmadio-bin");
const FMADIO_BIN = fmadioArg >= 0 ? Deno.args[fmadioArg + 1] : Deno.env.get("FMADIO_BIN");
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

type Side = "fmagent" | "C" | "C stdio" | "FMADIO";
type Role = "produce" | "consume";

interface Pair {
  readonly name: string;
  readonly producer: Side;
  readonly consumer: Side;
}

const OURS = "fmagent → fmagent";
const FAST_C = "C → C (fast peer)";
const REFERENCE = "C stdio → C stdio (reference stand-in)";
const FMADIO = "pcap2fmadio → fmadio2pcap (FMADIO's tools)";
const PAIRS: readonly Pair[] = [
  { name: OURS, producer: "fmagent", consumer: "fmagent" },
  { name: FAST_C, producer: "C", consumer: "C" },
  { name: "fmagent → C", producer: "fmagent", consumer: "C" },
  { name: "C → fmagent", producer: "C", consumer: "fmagent" },
  { name: REFERENCE, producer: "C stdio", consumer: "C stdio" },
  ...(FMADIO_BIN === undefined ? [] : [
    { name: FMADIO, producer: "FMADIO", consumer: "FMADIO" },
    { name: "fmagent → fmadio2pcap", producer: "fmagent", consumer: "FMADIO" },
    { name: "pcap2fmadio → fmagent", producer: "FMADIO", consumer: "fmagent" },
  ] satisfies Pair[]),
];

function argv(side: Side, peer: string, role: Role, ring: string, file: string): string[] {
  if (side === "FMADIO") {
    // pcap2fmadio reads stdin, fmadio2pcap writes stdout: redirect, then exec the tool.
    return role === "produce"
      ? ["sh", "-c", 'exec "$0" -i "$1" < "$2"', `${FMADIO_BIN}/pcap2fmadio`, ring, file]
      : ["sh", "-c", 'exec "$0" -i "$1" > "$2"', `${FMADIO_BIN}/fmadio2pcap`, ring, file];
  }
  if (side !== "fmagent") {
    return [peer, role, ring, file, ...(side === "C stdio" ? ["--stdio"] : [])];
  }
  const args = role === "produce"
    ? ["produce", "-i", ring, file]
    : ["consume", "-i", ring, "-w", file];
  return [Deno.execPath(), "run", "--allow-all", ...RUNTIME_V8_FLAGS, MAIN, ...args];
}

/**
 * Runs one side under `sh`, which prints its own /proc stat line as the last
 * line of stderr once the child was waited for: the child's CPU time is then
 * the shell's cutime + cstime.
 */
function spawnSide(
  side: Side,
  peer: string,
  role: Role,
  ring: string,
  file: string,
): Deno.ChildProcess {
  return new Deno.Command("sh", {
    args: [
      "-c",
      '"$@"; status=$?; cat /proc/$$/stat >&2; exit $status',
      "sh",
      ...argv(side, peer, role, ring, file),
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

function childCpuSeconds(stderr: Uint8Array): number {
  const lines = new TextDecoder().decode(stderr).trimEnd().split("\n");
  const stat = lines[lines.length - 1] ?? "";
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fresh, empty ring: an earlier run's end of stream or counters must not matter. */
async function resetRing(ring: string): Promise<void> {
  const init = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "produce", "-i", ring, "--reset", "--eof-only", "--no-eof"],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!init.success) {
    throw new Error(`cannot initialise ${ring}: ${new TextDecoder().decode(init.stderr)}`);
  }
}

interface RunResult {
  seconds: number;
  producerCpu: number;
  consumerCpu: number;
}

async function runPair(
  pair: Pair,
  peer: string,
  ring: string,
  capture: string,
): Promise<RunResult> {
  await resetRing(ring);
  const consumer = spawnSide(pair.consumer, peer, "consume", ring, "/dev/null");
  await sleep(300); // started and waiting on the empty ring
  const started = performance.now();
  const producer = spawnSide(pair.producer, peer, "produce", ring, capture);
  const [c, p] = await Promise.all([consumer.output(), producer.output()]);
  const seconds = (performance.now() - started) / 1000;
  if (!c.success || !p.success) {
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    throw new Error(`${pair.name} failed: ${text(p.stderr)} ${text(c.stderr)}`);
  }
  return {
    seconds,
    producerCpu: childCpuSeconds(p.stderr),
    consumerCpu: childCpuSeconds(c.stderr),
  };
}

/** utime + stime of a running process, in seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Percent of one core a process uses over `seconds`, after `settle` seconds. */
async function idleCpu(pid: number, settle: number, seconds: number): Promise<number> {
  await sleep(settle * 1000);
  const before = await cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const used = (await cpuSeconds(pid)) - before;
  return (100 * used) / ((performance.now() - t0) / 1000);
}

async function captureStats(path: string): Promise<{ packets: number; bytes: number }> {
  const data = await Deno.readFile(path);
  const view = new DataView(data.buffer);
  let at = 24;
  let packets = 0;
  let bytes = 0;
  while (at + 16 <= data.length) {
    const caplen = view.getUint32(at + 8, true);
    packets++;
    bytes += caplen;
    at += 16 + caplen;
  }
  return { packets, bytes };
}

async function measureIdle(
  dir: string,
  small: string,
): Promise<{ consumer: number; producer: number }> {
  const ring = `${dir}/idle`;
  await resetRing(ring);
  const fm = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", ...RUNTIME_V8_FLAGS, MAIN, ...args],
      stdout: "null",
      stderr: "null",
    }).spawn();
  const consumer = fm(["consume", "-i", ring, "-w", "/dev/null"]);
  const consumerCpu = await idleCpu(consumer.pid, 3, 5);
  consumer.kill("SIGTERM");
  await consumer.status;
  // No consumer: the producer fills the ring and waits (forever, --timeout 0).
  const producer = fm(["produce", "-i", ring, "--timeout", "0", small]);
  const producerCpu = await idleCpu(producer.pid, 3, 5);
  producer.kill("SIGTERM");
  await producer.status;
  return { consumer: consumerCpu, producer: producerCpu };
}

/** A copy of the pcap at `path` with its records repeated `times` times, in `dir`. */
async function repeated(path: string, times: number, dir: string): Promise<string> {
  const data = await Deno.readFile(path);
  const out = `${dir}/${path.split("/").pop()}.x${times}`;
  const file = await Deno.open(out, { write: true, create: true, truncate: true });
  try {
    await writeAll(file, data.subarray(0, PCAP_FILE_HEADER_LENGTH));
    const records = data.subarray(PCAP_FILE_HEADER_LENGTH);
    for (let i = 0; i < times; i++) await writeAll(file, records);
  } finally {
    file.close();
  }
  return out;
}

if (FMADIO_BIN !== undefined) {
  for (const tool of ["pcap2fmadio", "fmadio2pcap"]) {
    const info = await Deno.stat(`${FMADIO_BIN}/${tool}`).catch(() => null);
    if (info === null || !info.isFile || ((info.mode ?? 0) & 0o111) === 0) {
      console.error(`ring_bench: --fmadio-bin ${FMADIO_BIN}: no executable ${tool} there`);
      Deno.exit(2);
    }
  }
}

const captures = await ensureBenchCaptures();
const shm = (await Deno.stat("/dev/shm").catch(() => null))?.isDirectory ? "/dev/shm" : undefined;
const dir = await Deno.makeTempDir({ prefix: "fmagent-ring-bench-", ...(shm ? { dir: shm } : {}) });
try {
  const peer = `${dir}/ring_peer`;
  const gcc = await new Deno.Command("gcc", { args: ["-O2", "-o", peer, PEER_SOURCE] }).output();
  if (!gcc.success) throw new Error("gcc failed on ring_peer.c");
  const ring = `${dir}/ring`;
  // [label, capture, the capture it repeats (for its statistics)]
  const inputs: ReadonlyArray<readonly [string, string, string]> = SCALE === 1
    ? [
      ["mixed (1M, 60–1200 B)", captures.mixed, captures.mixed],
      ["small (2M, 64–128 B)", captures.small, captures.small],
    ]
    : [
      [
        `mixed ×${SCALE} (${SCALE}M, 60–1200 B)`,
        await repeated(captures.mixed, SCALE, dir),
        captures.mixed,
      ],
      [
        `small ×${SCALE} (${2 * SCALE}M, 64–128 B)`,
        await repeated(captures.small, SCALE, dir),
        captures.small,
      ],
    ];
  const pairs = SCALE === 1
    ? PAIRS
    : PAIRS.filter((p) => p.name === OURS || p.name === REFERENCE || p.name === FMADIO);

  const rows: string[] = [];
  const mpps = new Map<string, number>();
  for (const [label, path, base] of inputs) {
    const once = await captureStats(base);
    const packets = once.packets * SCALE;
    const bytes = once.bytes * SCALE;
    for (const pair of pairs) {
      let best: RunResult = { seconds: Infinity, producerCpu: 0, consumerCpu: 0 };
      for (let r = 0; r < RUNS; r++) {
        const result = await runPair(pair, peer, ring, path);
        if (result.seconds < best.seconds) best = result;
      }
      mpps.set(`${label}|${pair.name}`, packets / best.seconds / 1e6);
      const ns = (cpu: number) => ((cpu / packets) * 1e9).toFixed(0);
      rows.push(
        `| ${label} | ${pair.name} | ${best.seconds.toFixed(3)} | ${
          (packets / best.seconds / 1e6).toFixed(2)
        } | ` +
          `${((bytes * 8) / best.seconds / 1e9).toFixed(2)} | ${ns(best.producerCpu)} / ${
            ns(best.consumerCpu)
          } |`,
      );
    }
  }
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");

  console.log(`## Ring: produce → consume to /dev/null\n`);
  console.log(
    `Best of ${RUNS} runs, ring in ${shm ?? "a temp dir"}, load average ${load} at the end. ` +
      `CPU ns/packet is each side's user + system time over the packets (spinning while waiting included).` +
      (FMADIO_BIN === undefined
        ? " FMADIO's own pair (pcap2fmadio → fmadio2pcap) was not run: give --fmadio-bin DIR" +
          " or FMADIO_BIN=DIR. Without it the reference is our C peer in --stdio mode, a" +
          " stand-in measured 1.4–1.6× faster than FMADIO's pair (BENCHMARKS.md)."
        : ` FMADIO's tools from ${FMADIO_BIN}.`) +
      "\n",
  );
  console.log(
    "| capture | pair | seconds | Mpps | Gbit/s (captured bytes) | CPU ns/packet producer / consumer |",
  );
  console.log("|---|---|---:|---:|---:|---:|");
  for (const row of rows) console.log(row);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  // With FMADIO's tools at hand, the first ratio is against their pair.
  const fmadioHead = FMADIO_BIN === undefined ? "" : " fmagent → fmagent vs FMADIO's pair |";
  const fmadioRule = FMADIO_BIN === undefined ? "" : "---:|";
  const fmadioCell = (get: (name: string) => number) =>
    FMADIO_BIN === undefined ? "" : ` ${ratio(get(OURS), get(FMADIO))} |`;
  if (SCALE !== 1) {
    console.log(
      `\n| capture |${fmadioHead} fmagent → fmagent vs reference stand-in |\n|---|${fmadioRule}---:|`,
    );
    for (const [label] of inputs) {
      const get = (name: string) => mpps.get(`${label}|${name}`) ?? NaN;
      console.log(`| ${label} |${fmadioCell(get)} ${ratio(get(OURS), get(REFERENCE))} |`);
    }
  } else {
    console.log(
      `\n| capture |${fmadioHead} fmagent → fmagent vs reference stand-in | fmagent → fmagent vs fast C pair | fmagent → C vs C → C | C → fmagent vs C → C |`,
    );
    console.log(`|---|${fmadioRule}---:|---:|---:|---:|`);
    for (const [label] of inputs) {
      const get = (name: string) => mpps.get(`${label}|${name}`) ?? NaN;
      const fast = get(FAST_C);
      console.log(
        `| ${label} |${fmadioCell(get)} ${ratio(get(OURS), get(REFERENCE))} | ${
          ratio(get(OURS), fast)
        } | ` +
          `${ratio(get("fmagent → C"), fast)} | ${ratio(get("C → fmagent"), fast)} |`,
      );
    }
    const idle = await measureIdle(dir, captures.small);
    console.log(
      "\n| waiting side (fmagent) | CPU, % of one core (5 s after 3 s, /proc/PID/stat) |",
    );
    console.log("|---|---:|");
    console.log(`| consumer on an empty ring | ${idle.consumer.toFixed(2)} |`);
    console.log(`| producer on a full ring | ${idle.producer.toFixed(2)} |`);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

/**
 * Start-up of the shipped forms (issue 5's targets), measured in one run:
 *
 *   - portable binary, first start (extraction into an empty cache): ≤ 1 s
 *   - portable binary, warm start vs plain `deno run` of the same bundle with
 *     the same flags (the peer): ≤ 1.2×
 *   - the npm bin under Node, for scale
 *
 * Each figure is the median of several runs of `fmagent --version` (the
 * whole start-up, no work). Run: deno run -A bench/package_bench.ts
 */
import { buildPortable } from "../compile/portable/build.ts";
import { buildNpm } from "../compile/build_npm.ts";
import { ISOLATION_FLAGS, RUNTIME_PERMISSIONS } from "../compile/permissions.ts";
import { DENO_BINARY } from "../compile/paths.ts";

const WARM_RUNS = 21;
const COLD_RUNS = 5;

async function timeOnce(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command(program, { args, env, stdout: "null", stderr: "piped" })
    .output();
  const elapsed = performance.now() - started;
  if (!out.success) {
    throw new Error(`${program} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const tmp = await Deno.makeTempDir({ prefix: "fmagent-package-bench-" });
try {
  const buildStarted = performance.now();
  const built = await buildPortable({ outfile: `${tmp}/fmagent` });
  const buildSeconds = (performance.now() - buildStarted) / 1000;

  const cold: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    cold.push(await timeOnce(built.path, ["--version"], { FMAGENT_CACHE_DIR: `${tmp}/cold-${i}` }));
  }

  const cache = `${tmp}/warm`;
  await timeOnce(built.path, ["--version"], { FMAGENT_CACHE_DIR: cache });
  const bundle = `${cache}/${built.hash}/fmagent.js`;
  const plainArgs = ["run", ...ISOLATION_FLAGS, ...RUNTIME_PERMISSIONS, bundle, "--version"];
  await timeOnce(DENO_BINARY, plainArgs); // fills Deno's code cache, as the warm portable run has
  const warm: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    warm.push(await timeOnce(built.path, ["--version"], { FMAGENT_CACHE_DIR: cache }));
    plain.push(await timeOnce(DENO_BINARY, plainArgs));
  }

  const npm = await buildNpm(`${tmp}/npm`);
  const nodeRuns: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    nodeRuns.push(await timeOnce("node", [`${npm.dir}/bin/fmagent.js`, "--version"]));
  }

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const plainMedian = median(plain);
  console.log(`## package

Start-up of \`fmagent --version\`, median of ${WARM_RUNS} runs (first start: ${COLD_RUNS} runs, each into an empty cache).
Portable binary: ${(built.size / 1e6).toFixed(1)} MB (limit 45 MB), built in ${
    buildSeconds.toFixed(1)
  } s.

| form | start-up | vs plain \`deno run\` of the same bundle | target |
| --- | ---: | ---: | --- |
| plain \`deno run\` of the bundle (peer) | ${ms(plainMedian)} | 1.00× | |
| portable, warm (cache extracted) | ${ms(median(warm))} | ${
    (median(warm) / plainMedian).toFixed(2)
  }× | ≤ 1.2× |
| portable, first start (extracts ~100 MB) | ${ms(median(cold))} | ${
    (median(cold) / plainMedian).toFixed(2)
  }× | ≤ 1 s |
| npm bin under Node | ${ms(median(nodeRuns))} | ${(median(nodeRuns) / plainMedian).toFixed(2)}× | |
`);
} finally {
  await Deno.remove(tmp, { recursive: true });
}

/**
 * Filter compiler benchmark (`deno run -A bench/bpf_front_bench.ts`, also run
 * by `deno task bench`): time to compile each benchmark filter with fmagent
 * (front end alone; with the optimiser; with optimiser and JIT) against
 * libpcap's `pcap_compile` with its optimiser, timed by a small C program
 * built here with gcc and libpcap-dev in the same run, plus the size of each
 * program. Best of several rounds of many compiles.
 */
import { compileFilter, compileProgram } from "../src/bpf/compile_filter.ts";

const FILTERS = [
  "udp",
  "udp and port 53",
  "tcp[tcpflags] & tcp-syn != 0",
  "net 10.0.0.0/16 and not port 80",
  "vlan and ip[2:2] > 600",
  "host 10.0.0.1 or host 10.0.0.2 or host 10.0.0.3",
  "tcp port 80 or tcp port 443 or udp port 53",
];
const ROUNDS = 5;
const COMPILES = 200;

/** libpcap's side: for each filter line on stdin, best µs per pcap_compile and the program length. */
const C_PEER = `
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
int main(int argc, char **argv) {
  int rounds = atoi(argv[1]), compiles = atoi(argv[2]);
  char line[4096];
  pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\\n")] = 0;
    double best = 1e18; unsigned len = 0;
    for (int r = 0; r < rounds; r++) {
      double t = now();
      for (int i = 0; i < compiles; i++) {
        struct bpf_program prog;
        if (pcap_compile(p, &prog, line, 1, PCAP_NETMASK_UNKNOWN) != 0) { fprintf(stderr, "%s\\n", pcap_geterr(p)); return 1; }
        len = prog.bf_len;
        pcap_freecode(&prog);
      }
      double us = (now() - t) / compiles;
      if (us < best) best = us;
    }
    printf("%.3f %u\\n", best, len);
  }
  return 0;
}
`;

function bestMicros(body: () => unknown): number {
  for (let i = 0; i < COMPILES; i++) body(); // warm up
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < COMPILES; i++) body();
    best = Math.min(best, ((performance.now() - start) * 1000) / COMPILES);
  }
  return best;
}

async function libpcapFigures(): Promise<Array<{ us: number; length: number }> | string> {
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-bench-" });
  try {
    await Deno.writeTextFile(
      `${dir}/compile.c`,
      C_PEER.replace("#include <string.h>", "#include <string.h>\n#include <stdlib.h>"),
    );
    const gcc = await new Deno.Command("gcc", {
      args: ["-O2", "-o", `${dir}/compile`, `${dir}/compile.c`, "-lpcap"],
      stderr: "piped",
    }).output();
    if (!gcc.success) {
      return `gcc failed: ${new TextDecoder().decode(gcc.stderr).trim().split("\n")[0]}`;
    }
    const child = new Deno.Command(`${dir}/compile`, {
      args: [String(ROUNDS), String(COMPILES)],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(FILTERS.join("\n") + "\n"));
    await writer.close();
    const out = await child.output();
    if (!out.success) return `libpcap peer failed: ${new TextDecoder().decode(out.stderr).trim()}`;
    return new TextDecoder().decode(out.stdout).trim().split("\n").map((line) => {
      const [us, length] = line.split(" ");
      return { us: Number(us), length: Number(length) };
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const libpcap = await libpcapFigures();
console.log("## Filter compiler: compile time (µs per filter, best of rounds)\n");
console.log(
  "| filter | fmagent front end | + optimiser | + optimiser + JIT | libpcap pcap_compile -O | ratio (full / libpcap) | instructions fmagent / libpcap |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const [i, filter] of FILTERS.entries()) {
  const front = bestMicros(() => compileProgram(filter, { optimize: false }));
  const optimized = bestMicros(() => compileProgram(filter));
  const full = bestMicros(() => compileFilter(filter));
  const length = compileProgram(filter).length;
  const peer = typeof libpcap === "string" ? undefined : libpcap[i];
  const ratio = peer === undefined ? "n/a" : `${(full / peer.us).toFixed(2)}×`;
  console.log(
    `| \`${filter}\` | ${front.toFixed(1)} | ${optimized.toFixed(1)} | ${full.toFixed(1)} | ${
      peer?.us.toFixed(1) ?? "n/a"
    } | ${ratio} | ${length} / ${peer?.length ?? "n/a"} |`,
  );
}
if (typeof libpcap === "string") console.log(`\nlibpcap peer not measured: ${libpcap}`);
console.log(`\nRequirement: compiling a filter takes under 5 ms (5000 µs).`);

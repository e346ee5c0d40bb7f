/**
 * Capture copy: `fmagent filter -r X -w OUT` against `tcpdump -r X -w OUT`
 * on the two benchmark captures, in the same run. Prints a Markdown table.
 */
import { ensureBenchCaptures } from "./data.ts";
import { compareCommands, fmagentCommand } from "./support/timing.ts";

const captures = await ensureBenchCaptures();
const dir = await Deno.makeTempDir({ prefix: "fmagent-bench-" });
const rows: string[] = [];
try {
  for (
    const [name, path, packets] of [
      ["1M packets, 60–1200 B", captures.mixed, 1_000_000],
      ["2M packets, 64–128 B", captures.small, 2_000_000],
    ] as const
  ) {
    const times = await compareCommands([
      { label: "tcpdump", cmd: "tcpdump", args: ["-r", path, "-w", `${dir}/tcpdump.pcap`] },
      fmagentCommand("fmagent", ["filter", "-r", path, "-w", `${dir}/fmagent.pcap`]),
    ]);
    const td = times.get("tcpdump")!;
    const fm = times.get("fmagent")!;
    rows.push(
      `| ${name} | ${td.toFixed(3)} s (${(packets / td / 1e6).toFixed(2)} Mpps) | ` +
        `${fm.toFixed(3)} s (${(packets / fm / 1e6).toFixed(2)} Mpps) | ${(td / fm).toFixed(2)}× |`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
console.log(`## Capture copy: fmagent filter -r X -w OUT vs tcpdump -r X -w OUT

Median of 5 interleaved runs after one warm-up, wall clock, whole process (Deno start-up included).

| capture | tcpdump | fmagent | speed-up (tcpdump time / fmagent time) |
| --- | --- | --- | --- |
${rows.join("\n")}
`);

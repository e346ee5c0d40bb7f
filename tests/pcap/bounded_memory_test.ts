/**
 * A capture far larger than any buffer streams through `fmagent filter` in
 * bounded memory: 1 GiB of pcap is fed to its stdin in pieces (never held
 * whole by anyone), and the process's peak resident memory (VmHWM, read from
 * /proc while it still runs) must stay far below the size of the stream.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { buildPcap, ethernet, udp4 } from "../support/packet_builder.ts";

const GIB = 1024 * 1024 * 1024;
const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

function peakResidentBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = status.match(/^VmHWM:\s+(\d+) kB$/m)?.[1];
  if (kib === undefined) throw new Error("no VmHWM in /proc/PID/status");
  return Number(kib) * 1024;
}

Deno.test("1 GiB streams through fmagent filter with a bounded peak memory", async () => {
  const record = buildPcap([{
    data: ethernet(
      "02:00:00:00:00:02",
      "02:00:00:00:00:01",
      0x0800,
      udp4("10.0.0.1", "10.0.0.2", 9, 9, new Uint8Array(1400)),
    ),
    sec: 1,
    nsec: 0,
  }]).subarray(24);
  // 1 MiB of whole records, sent over and over.
  const perChunk = Math.floor((1 << 20) / record.length);
  const chunk = new Uint8Array(perChunk * record.length);
  for (let i = 0; i < perChunk; i++) chunk.set(record, i * record.length);
  const chunks = Math.ceil(GIB / chunk.length);

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "filter", "--count"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(buildPcap([]));
  for (let i = 0; i < chunks; i++) await writer.write(chunk);
  const peak = peakResidentBytes(child.pid);
  await writer.close();
  const out = await child.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals(new TextDecoder().decode(out.stdout), `${chunks * perChunk}\n`);
  // The whole process peaks near 50 MiB here (most of it Deno itself); the stream is 1 GiB.
  ok(peak < 160 * 1024 * 1024, `peak resident memory ${(peak / 1048576).toFixed(1)} MiB`);
});

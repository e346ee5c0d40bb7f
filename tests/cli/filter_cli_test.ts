/** `fmagent filter` run as a subprocess on good and bad capture files. */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { fmagent } from "../support/cli.ts";
import { buildPcap, buildPcapng, ethernet, udp4 } from "../support/packet_builder.ts";
import { tcpdumpRead } from "../support/tcpdump.ts";
import { withTempDir } from "../support/temp_dir.ts";

const packets = Array.from({ length: 20 }, (_, i) => {
  const data = ethernet(
    "02:00:00:00:00:02",
    "02:00:00:00:00:01",
    0x0800,
    udp4("10.0.0.1", "10.0.0.2", 2000 + i, 53, new Uint8Array(i * 10)),
  );
  return { data, sec: 1_700_000_000 + i, nsec: i * 1001 };
});

Deno.test("filter: pcapng in, nanosecond pcap out, tcpdump reads the same packets", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(
      `${dir}/in.pcapng`,
      buildPcapng([{ packets, interfaces: [{ tsresol: 9 }] }]),
    );
    const out = await fmagent(["filter", "-r", `${dir}/in.pcapng`, "-w", `${dir}/out.pcap`]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(out.stderr, "");
    const head = await Deno.readFile(`${dir}/out.pcap`);
    assertEquals(new DataView(head.buffer).getUint32(0, true), 0xa1b23c4d);
    assertEquals(
      (await tcpdumpRead(`${dir}/out.pcap`)).lines,
      (await tcpdumpRead(`${dir}/in.pcapng`)).lines,
    );
  });
});

Deno.test("filter: stdin to stdout, -c, --count, micro precision", async () => {
  const input = buildPcap(packets, { nanosecond: true });
  const copy = await fmagent(["filter", "-c", "5"], { stdin: input });
  assertEquals(copy.code, 0, copy.stderr);
  assertEquals(
    copy.stdout.length,
    24 + packets.slice(0, 5).reduce((n, p) => n + 16 + p.data.length, 0),
  );
  const count = await fmagent(["filter", "-r", "-", "--count"], { stdin: input });
  assertEquals(count.text, "20\n");
  const micro = await fmagent(["filter", "--time-stamp-precision", "micro"], { stdin: input });
  assertEquals(new DataView(micro.stdout.buffer).getUint32(0, true), 0xa1b2c3d4);
  assertEquals(new DataView(micro.stdout.buffer).getUint32(24 + 4, true), 0);
  assertEquals(new DataView(micro.stdout.buffer).getUint32(24 + 16 + 42 + 4, true), 1);
});

Deno.test("filter: bad inputs give one line naming the file, exit 2", async () => {
  await withTempDir(async (dir) => {
    const cases: [string, Uint8Array | "dir" | "missing", RegExp][] = [
      [
        "empty.pcap",
        new Uint8Array(0),
        /^fmagent: Cannot read \S+empty.pcap: not a pcap or pcapng file \(empty file\)\n$/,
      ],
      [
        "text.pcap",
        new TextEncoder().encode("GET / HTTP/1.1\r\n"),
        /not a pcap or pcapng file \(magic 0x47455420\)\n$/,
      ],
      ["dir.pcap", "dir", /^fmagent: Cannot read \S+dir.pcap: is a directory\n$/],
      ["missing.pcap", "missing", /^fmagent: Cannot read \S+missing.pcap: no such file\n$/],
    ];
    for (const [name, content, expected] of cases) {
      const path = `${dir}/${name}`;
      if (content === "dir") await Deno.mkdir(path);
      else if (content !== "missing") await Deno.writeFile(path, content);
      const out = await fmagent(["filter", "-r", path, "-w", `${dir}/out.pcap`]);
      assertEquals(out.code, 2, `${name}: ${out.stderr}`);
      match(out.stderr, expected);
    }
    const corrupt = buildPcap(packets);
    new DataView(corrupt.buffer).setUint32(24 + 16 + packets[0]!.data.length + 8, 999_999, true);
    await Deno.writeFile(`${dir}/corrupt.pcap`, corrupt);
    const out = await fmagent(["filter", "-r", `${dir}/corrupt.pcap`, "-w", `${dir}/out.pcap`]);
    assertEquals(out.code, 2);
    match(
      out.stderr,
      /^fmagent: Cannot read \S+corrupt.pcap: corrupt record: caplen 999999 larger than 262144 at byte 82\n$/,
    );
  });
});

Deno.test("filter: a truncated last record is reported after the packets before it", async () => {
  const whole = buildPcap(packets);
  const out = await fmagent(["filter"], { stdin: whole.slice(0, whole.length - 7) });
  assertEquals(out.code, 2);
  match(
    out.stderr,
    /^fmagent: Cannot read stdin: truncated record at byte \d+: \d+ bytes needed, \d+ present; the 19 packets before it were processed\n$/,
  );
  assertEquals(
    out.stdout.length,
    24 + packets.slice(0, 19).reduce((n, p) => n + 16 + p.data.length, 0),
  );
});

Deno.test("filter: a reader that closes the pipe early ends it quietly", async () => {
  const big = buildPcap(Array.from({ length: 4000 }, () => packets[19]!));
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `"${Deno.execPath()}" run -A --quiet src/cli/main.ts filter | head -c 1000 > /dev/null`,
    ],
    stdin: "piped",
    stderr: "piped",
    cwd: new URL("../../", import.meta.url).pathname,
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(big).catch(() => {});
  await writer.close().catch(() => {});
  const result = await child.output();
  assertEquals(result.code, 0);
  ok(
    !new TextDecoder().decode(result.stderr).includes("Error"),
    new TextDecoder().decode(result.stderr),
  );
});

Deno.test("filter: Ctrl-C stops between batches, leaving a valid pcap and exit 0", async () => {
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", main, "filter"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const whole = buildPcap(packets);
  await writer.write(whole);
  // Let fmagent start and take the first batch (generously: CI runs tests in
  // parallel on 2 cores), interrupt, then give the blocked read more bytes.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.kill("SIGINT");
  await new Promise((resolve) => setTimeout(resolve, 100));
  await writer.write(whole.subarray(24)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  assertEquals(out.code, 0);
  match(
    new TextDecoder().decode(out.stderr),
    /^fmagent: filter: interrupted after \d+ packets, \d+ written\n$/,
  );
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/out.pcap`, out.stdout);
    const listed = await tcpdumpRead(`${dir}/out.pcap`);
    assertEquals(listed.code, 0, listed.stderr);
    ok(listed.lines.length >= 20, `${listed.lines.length} packets`);
  });
});

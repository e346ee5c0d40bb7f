/**
 * produce, consume and stat through their run() functions with in-memory
 * stdio: options, summaries, the leftover rule, the stall timeout, signals.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { records, recordSpans, samplePackets, samplePcap, withTempDir } from "./support.ts";
import { memoryIo } from "../support/memory_io.ts";
import { buildPcap, ethernet, tcp4, udp4 } from "../support/packet_builder.ts";
import { run as produce } from "../../src/cli/produce.ts";
import { run as consume } from "../../src/cli/consume.ts";
import { run as stat } from "../../src/cli/stat.ts";

const MACS = ["02:00:00:00:00:01", "02:00:00:00:00:02"] as const;

/** Alternating UDP and TCP packets, 1 ms apart from a whole second. */
function mixedPackets(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    data: ethernet(
      MACS[0],
      MACS[1],
      0x0800,
      i % 2 === 0
        ? udp4("10.0.0.1", "10.0.0.2", 5000 + i, 53, new Uint8Array(20 + i))
        : tcp4("10.0.0.1", "10.0.0.2", { sport: 40000, dport: 443, seq: i, ack: 0, flags: 0x18 }),
    ),
    sec: 1_700_000_000,
    nsec: i * 1_000_000,
  }));
}

interface Session {
  ring: string;
  file(name: string, bytes: Uint8Array): Promise<string>;
  produce(args: string[], signal?: AbortSignal): Promise<{ code: number; stderr: string }>;
  consume(
    args: string[],
    signal?: AbortSignal,
  ): Promise<{ code: number; stdout: Uint8Array; stderr: string }>;
}

async function session(body: (s: Session) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const ring = `${dir}/ring`;
    await body({
      ring,
      async file(name, bytes) {
        await Deno.writeFile(`${dir}/${name}`, bytes);
        return `${dir}/${name}`;
      },
      async produce(args, signal) {
        const io = memoryIo(new Uint8Array(0), signal);
        const code = await produce(["-i", ring, ...args], io);
        return { code, stderr: io.stderr.text() };
      },
      async consume(args, signal) {
        const io = memoryIo(new Uint8Array(0), signal);
        const code = await consume(["-i", ring, ...args], io);
        return { code, stdout: io.stdout.bytes(), stderr: io.stderr.text() };
      },
    });
  });
}

Deno.test("cli: --help of produce, consume and stat shows options with examples", async () => {
  for (const run of [produce, consume, stat]) {
    const io = memoryIo();
    assertEquals(await run(["--help"], io), 0);
    const text = io.stdout.text();
    assertMatch(text, /-i, --ring <path>/);
    assertMatch(text, /Examples:/);
  }
});

Deno.test("cli: usage errors exit 2 with one line", async () => {
  const cases: Array<[typeof produce, string[], RegExp]> = [
    [produce, ["--pktslice", "0"], /^fmagent: option '--pktslice <bytes>' argument '0' is invalid/],
    [produce, ["--epoch-start", "soon"], /expected epoch nanoseconds, got 'soon'/],
    [produce, ["--mode", "999"], /expected an octal file mode/],
    [consume, ["-c", "x"], /expected an integer/],
    [stat, ["--watch", "0"], /expected seconds/],
    [
      produce,
      ["--bpf", "tcp", "--program", "x.bpf", "--eof-only"],
      /Cannot use both --bpf and --program/,
    ],
    [consume, ["--bpf", "port 99999"], /^fmagent: Cannot compile filter: .*99999/],
  ];
  for (const [run, args, pattern] of cases) {
    const io = memoryIo();
    assertEquals(await run(args, io), 2, args.join(" "));
    const lines = io.stderr.text().trimEnd().split("\n");
    assertMatch(lines[0]!, pattern);
  }
});

Deno.test("cli: produce -c and --pktslice, consume to a file; stat shows the counters", async () => {
  await session(async (s) => {
    const input = await s.file("in.pcap", samplePcap(samplePackets(10)));
    const produced = await s.produce(["-c", "4", "--pktslice", "100", input]);
    assertEquals(produced.code, 0, produced.stderr);
    assertEquals(
      produced.stderr,
      `fmagent: produce: 4 packets, 360 bytes into ${s.ring}, end of stream sent\n`,
    );
    const io = memoryIo();
    assertEquals(await stat(["-i", s.ring], io), 0);
    assertMatch(io.stdout.text(), /^Put +: 5$/m);
    assertMatch(io.stdout.text(), /^InFlight +: 5 packets, 360 bytes$/m);
    const json = memoryIo();
    assertEquals(await stat(["-i", s.ring, "--json"], json), 0);
    const record = JSON.parse(json.stdout.text());
    assertEquals([record.put, record.get, record.putByte, record.flowControl], [5, 0, 360, true]);
    const consumed = await s.consume([]);
    assertEquals(consumed.code, 0);
    assertEquals(
      consumed.stderr,
      "fmagent: consume: 4 packets, 360 bytes, 0 FCS errors, end of stream\n",
    );
    const spans = recordSpans(records(consumed.stdout));
    const view = new DataView(consumed.stdout.buffer, 24);
    assertEquals(spans.length, 4);
    // Packet 1 is 1514 bytes on the wire +1: cut to 100, wire length kept.
    assertEquals(
      [view.getUint32(spans[1]![0] + 8, true), view.getUint32(spans[1]![0] + 12, true)],
      [100, 1515],
    );
  });
});

Deno.test("cli: --bpf on produce and on consume, and --print lines", async () => {
  await session(async (s) => {
    const input = await s.file("in.pcap", buildPcap(mixedPackets(6), { nanosecond: true }));
    assertEquals((await s.produce(["--bpf", "udp", input])).code, 0);
    const udpOnly = await s.consume(["--print"]);
    assertEquals(udpOnly.code, 0);
    const lines = new TextDecoder().decode(udpOnly.stdout).trimEnd().split("\n");
    assertEquals(lines.length, 3);
    assertMatch(lines[0]!, /^1700000000\.000000000 IP 10\.0\.0\.1\.5000 > 10\.0\.0\.2\.53: UDP/);
    assertEquals((await s.produce([input])).code, 0);
    const tcpOnly = await s.consume(["--bpf", "tcp port 443"]);
    assertEquals(tcpOnly.code, 0);
    assertMatch(tcpOnly.stderr, /consume: 3 packets, .* 3 filtered out, end of stream/);
  });
});

Deno.test("cli: --epoch-start/--epoch-stop keep a time window; consume -c stops and leaves the rest queued", async () => {
  await session(async (s) => {
    const input = await s.file("in.pcap", buildPcap(mixedPackets(10), { nanosecond: true }));
    const window = ["--epoch-start", "1700000000002000000", "--epoch-stop", "1700000000007000000"];
    const produced = await s.produce([...window, input]);
    assertMatch(
      produced.stderr,
      /produce: 5 packets, .*end of stream sent, 5 skipped by filter\/time window/,
    );
    const two = await s.consume(["-c", "2", "--print"]);
    assertEquals(two.code, 0);
    assertMatch(
      new TextDecoder().decode(two.stdout),
      /^1700000000\.002000000 .*\n1700000000\.003000000 /,
    );
    assertMatch(two.stderr, /consume: 2 packets, .*count reached/);
    const rest = await s.consume(["--print"]);
    const times = new TextDecoder().decode(rest.stdout).trimEnd().split("\n").map((l) =>
      l.slice(0, 20)
    );
    assertEquals(times, ["1700000000.004000000", "1700000000.005000000", "1700000000.006000000"]);
  });
});

Deno.test("cli: packets over 10240 bytes are cut with the wire length kept, and reported", async () => {
  await session(async (s) => {
    const big = new Uint8Array(12000).fill(7);
    const input = await s.file(
      "in.pcap",
      buildPcap([{ data: big, sec: 1, nsec: 0 }], { nanosecond: true }),
    );
    const produced = await s.produce([input]);
    assertMatch(
      produced.stderr,
      /produce: 1 packets longer than 10240 bytes were cut to 10240 \(wire length kept\)/,
    );
    const consumed = await s.consume([]);
    const view = new DataView(consumed.stdout.buffer, 24);
    assertEquals([view.getUint32(8, true), view.getUint32(12, true)], [10240, 12000]);
    assertEquals(consumed.stdout.length, 24 + 16 + 10240);
  });
});

Deno.test("cli: a capture that is not Ethernet is refused, exit 2", async () => {
  await session(async (s) => {
    const input = await s.file("raw.pcap", buildPcap(samplePackets(2), { linkType: 101 }));
    const produced = await s.produce([input]);
    assertEquals(produced.code, 2);
    assertMatch(
      produced.stderr,
      /^fmagent: Cannot produce .*raw\.pcap into the ring: link type 101, the FMAD ring carries Ethernet \(link type 1\) only\n/,
    );
  });
});

Deno.test("cli: leftovers of an earlier session are announced and delivered first; --eof-only ends a consumer", async () => {
  await session(async (s) => {
    const a = await s.file("a.pcap", samplePcap(samplePackets(3)));
    assertEquals((await s.produce([a])).code, 0);
    const second = await s.produce([a]);
    assertMatch(
      second.stderr,
      /ring .* holds 3 unread packets of an earlier session; they stay queued ahead of this session's \(its end-of-stream mark was cleared\)/,
    );
    const both = await s.consume([]);
    assertMatch(both.stderr, /consume: 6 packets, .*end of stream/);
    assertEquals((await s.produce(["--eof-only"])).code, 0);
    const none = await s.consume([]);
    assertEquals(
      none.stderr,
      "fmagent: consume: 0 packets, 0 bytes, 0 FCS errors, end of stream\n",
    );
    assertEquals(none.stdout.length, 24, "just the pcap header");
  });
});

Deno.test("cli: --latest skips queued packets; SIGINT ends consume with its summary, exit 0", async () => {
  await session(async (s) => {
    const input = await s.file("in.pcap", samplePcap(samplePackets(5)));
    assertEquals((await s.produce(["--no-eof", input])).code, 0);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 150);
    const latest = await s.consume(["--latest", "-U"], stop.signal);
    assertEquals(latest.code, 0);
    assertEquals(
      latest.stderr,
      "fmagent: consume: 0 packets, 0 bytes, 0 FCS errors, 5 skipped by --latest, interrupted\n",
    );
  });
});

Deno.test("cli: produce stops on a stalled consumer after --timeout, saying how far it got", async () => {
  await session(async (s) => {
    const input = await s.file("in.pcap", samplePcap(samplePackets(1100, [64])));
    const produced = await s.produce(["--timeout", "200e6", input]);
    assertEquals(produced.code, 1);
    assertEquals(
      produced.stderr,
      `fmagent: Cannot write to ring ${s.ring}: the consumer took no packet for 0.2 s (--timeout); ` +
        `1023 packets were delivered, stopped before packet 1024 of ${input}\n`,
    );
  });
});

Deno.test("cli: produce and consume run together in one process past the ring's depth (with -v)", async () => {
  await session(async (s) => {
    const packets = samplePackets(3000);
    const input = await s.file("in.pcap", samplePcap(packets));
    assertEquals(
      (await s.produce(["--eof-only", "--no-eof"])).code,
      0,
      "creates the ring, sends nothing",
    );
    const [produced, consumed] = await Promise.all([s.produce(["-v", input]), s.consume(["-v"])]);
    assertEquals([produced.code, consumed.code], [0, 0]);
    assertEquals(records(consumed.stdout), records(samplePcap(packets)));
  });
});

Deno.test("cli: stat --watch prints a line per interval with rates and lag until SIGINT", async () => {
  await session(async (s) => {
    assertEquals((await s.produce(["--eof-only"])).code, 0);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 280);
    const io = memoryIo(new Uint8Array(0), stop.signal);
    assertEquals(await stat(["-i", s.ring, "--watch", "0.1"], io), 0);
    const lines = io.stdout.text().trimEnd().split("\n");
    const watch = lines.filter((l) => /^Put \d/.test(l));
    assert(watch.length >= 1, io.stdout.text());
    assertMatch(
      watch[0]!,
      /^Put 1 \(0\.000 Mpps\) Get 0 \(0\.000 Mpps, 0\.000 Gbps\) \| lag 1 pkts/,
    );
  });
});

Deno.test("cli: --cpu pins (a CPU that does not exist is one line, exit 2); consume -s cuts packets", async () => {
  await session(async (s) => {
    const input = await s.file("in.pcap", samplePcap(samplePackets(4)));
    assertEquals((await s.produce(["--cpu", "0", input])).code, 0);
    const bad = await s.consume(["--cpu", "1023"]);
    assertEquals(bad.code, 2);
    assertMatch(
      bad.stderr,
      /^fmagent: Cannot pin to CPU 1023: not available to this process \(allowed: 0(, \d+)*\)\n$/,
    );
    const cut = await s.consume(["--cpu", "0", "-s", "64"]);
    assertEquals(cut.code, 0);
    const spans = recordSpans(records(cut.stdout));
    const view = new DataView(cut.stdout.buffer, 24);
    assertEquals(
      spans.map(([at]) => [view.getUint32(at + 8, true), view.getUint32(at + 12, true)]),
      [
        [60, 60],
        [64, 1515],
        [64, 130],
        [64, 900],
      ],
    );
    assertEquals(
      new DataView(cut.stdout.buffer).getUint32(16, true),
      64,
      "snaplen in the file header",
    );
  });
});

Deno.test("cli: a missing input fails before the ring is touched", async () => {
  await session(async (s) => {
    const input = await s.file("in.pcap", samplePcap(samplePackets(2)));
    const missing = `${input}.missing`;
    const produced = await s.produce([input, missing]);
    assertEquals([produced.code, produced.stderr], [
      2,
      `fmagent: Cannot read ${missing}: no such file\n`,
    ]);
    assertEquals(
      await Deno.stat(s.ring).then(() => true, () => false),
      false,
      "no ring was created",
    );
  });
});

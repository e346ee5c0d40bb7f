/**
 * The ring under stress: a slow consumer, a consumer killed and restarted, a
 * producer killed mid-stream, a reader that goes away (`| head`), and the
 * ring files fmagent must refuse with one clear line.
 */
import { assert, assertEquals } from "../support/assert.ts";
import {
  buildRingPeer,
  MAIN,
  records,
  recordSpans,
  runFmagent,
  runPeer,
  samplePackets,
  samplePcap,
  spawnFmagent,
  waitForRing,
  waitUntil,
  withTempDir,
} from "./support.ts";
import { MemoryWriter } from "../support/memory_io.ts";
import { concat } from "../support/packet_builder.ts";
import { fmagentArgv } from "../support/cli.ts";
import { consumeFromRing } from "../../src/ring/consumer.ts";
import { pcapSink } from "../../src/ring/pcap_sink.ts";
import { Ring } from "../../src/ring/ring.ts";
import { OLD_RING_FILE_SIZE, RING_FILE_SIZE } from "../../src/ring/layout.ts";

const PACKETS = samplePackets(4000);
const INPUT = samplePcap(PACKETS);
const INPUT_RECORDS = records(INPUT);
const INPUT_SPANS = recordSpans(INPUT_RECORDS);

/** The input's records [from, to) as bytes. */
function inputRecords(from: number, to: number): Uint8Array {
  const start = INPUT_SPANS[from]?.[0] ?? INPUT_RECORDS.length;
  const end = INPUT_SPANS[to]?.[0] ?? INPUT_RECORDS.length;
  return INPUT_RECORDS.subarray(start, end);
}

/** Get of the ring at `path`, read through a read-only mapping. */
function ringGet(path: string): number {
  const ring = Ring.open(path, { writable: false });
  try {
    return ring.loadGet();
  } finally {
    ring.close();
  }
}

Deno.test("reliability: a slow consumer (sleeping between reads) loses nothing", async () => {
  await withTempDir(async (dir) => {
    const peer = await buildRingPeer(dir);
    const ring = `${dir}/ring`;
    const input = `${dir}/in.pcap`;
    await Deno.writeFile(input, samplePcap(PACKETS.slice(0, 2500)));
    const producer = spawnFmagent(["produce", "-i", ring, input]);
    await waitForRing(ring);
    // 150 µs per packet: the producer meets a full ring again and again.
    const consumer = await runPeer(peer, ["consume", ring, `${dir}/out.pcap`, "--delay-us", "150"]);
    const produced = await producer.output();
    assertEquals(produced.code, 0, new TextDecoder().decode(produced.stderr));
    assertEquals(consumer.code, 0, consumer.stderr);
    assertEquals(records(await Deno.readFile(`${dir}/out.pcap`)), inputRecords(0, 2500));
  });
});

Deno.test("reliability: a consumer killed mid-stream and restarted delivers every packet at least once, in order", async () => {
  await withTempDir(async (dir) => {
    const ring = `${dir}/ring`;
    const input = `${dir}/in.pcap`;
    await Deno.writeFile(input, INPUT);
    const producer = spawnFmagent(["produce", "-i", ring, input]);
    await waitForRing(ring);
    // First consumer: its output is a pipe we read slowly, then SIGKILL it mid-stream.
    const first = spawnFmagent(["consume", "-i", ring], { stdout: "piped" });
    const reader = first.stdout.getReader();
    const chunks: Uint8Array[] = [];
    let got = 0;
    while (got < 300_000) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.length;
    }
    first.kill("SIGKILL");
    // Whatever it handed to the OS before dying is still in the pipe: read it all.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    await first.status;
    await first.stderr.cancel();
    const firstOut = concat(...chunks);
    const firstSpans = recordSpans(records(firstOut));
    assert(
      firstSpans.length > 100 && firstSpans.length < PACKETS.length,
      `first run: ${firstSpans.length}`,
    );
    // What the first run wrote is a prefix of the input (a record cut by the kill aside).
    const firstWhole = firstSpans.length;
    assertEquals(records(firstOut).subarray(0, spansEnd(firstSpans)), inputRecords(0, firstWhole));
    // Its Get never runs ahead of what it wrote.
    const resumeAt = ringGet(ring);
    assert(resumeAt <= firstWhole, `Get ${resumeAt} beyond the ${firstWhole} packets written`);
    // Second consumer resumes at Get and runs to the end of stream.
    const second = await runFmagent(["consume", "-i", ring, "-w", `${dir}/second.pcap`]);
    assertEquals(second.code, 0, second.stderr);
    assertEquals((await producer.output()).code, 0);
    assertEquals(
      records(await Deno.readFile(`${dir}/second.pcap`)),
      inputRecords(resumeAt, PACKETS.length),
    );
  });
});

Deno.test("reliability: a producer killed mid-stream leaves a ring a consumer waits on, without garbage", async () => {
  await withTempDir(async (dir) => {
    const ring = `${dir}/ring`;
    const input = `${dir}/in.pcap`;
    await Deno.writeFile(input, INPUT);
    const producer = spawnFmagent(["produce", "-i", ring, input]);
    await waitForRing(ring);
    // With no consumer it fills the ring (1,023 slots) and waits for room; kill it there.
    await waitUntil(() => peekPut(ring) >= 1023, 10_000, "the producer to fill the ring");
    producer.kill("SIGKILL");
    await producer.status;
    await producer.stderr.cancel();
    const put = peekPut(ring);
    assertEquals(put, 1023);
    const out = new MemoryWriter();
    const stop = new AbortController();
    const consuming = consumeFromRing(ring, pcapSink(out), {
      signal: stop.signal,
    });
    await waitUntil(() => ringGet(ring) === put, 10_000, "the consumer to drain the ring");
    await new Promise((r) => setTimeout(r, 100)); // it keeps waiting: no end of stream came
    stop.abort();
    const summary = await consuming;
    assertEquals([summary.packets, summary.endOfStream, summary.interrupted], [1023, false, true]);
    assertEquals(records(out.bytes()), inputRecords(0, 1023));
  });
});

Deno.test("reliability: consume | head -c 1000 exits promptly with status 0", async () => {
  await withTempDir(async (dir) => {
    const ring = `${dir}/ring`;
    const input = `${dir}/in.pcap`;
    await Deno.writeFile(input, INPUT);
    const producer = spawnFmagent(["produce", "-i", ring, "--no-eof", input]);
    await waitForRing(ring);
    // A real `| head -c 1000`: consume's own status goes to a file.
    const started = performance.now();
    const shell = await new Deno.Command("sh", {
      args: [
        "-c",
        '("$0" run --allow-all "$1" consume -i "$2"; echo $? > "$3") | head -c 1000 | wc -c',
        Deno.execPath(),
        MAIN,
        ring,
        `${dir}/status`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    assertEquals(new TextDecoder().decode(shell.stdout).trim(), "1000");
    assertEquals((await Deno.readTextFile(`${dir}/status`)).trim(), "0");
    assertEquals(new TextDecoder().decode(shell.stderr), "", "quietly");
    assert(seconds < 10, `took ${seconds} s`);
    producer.kill("SIGKILL");
    await producer.status;
    await producer.stderr.cancel();
  });
});

Deno.test("reliability: unusable ring files get one clear line and exit status 2", async () => {
  await withTempDir(async (dir) => {
    const missing = `${dir}/missing`;
    const old = `${dir}/old`;
    await Deno.writeFile(old, new Uint8Array(OLD_RING_FILE_SIZE));
    const fresh = `${dir}/fresh`; // right size, never initialised
    await Deno.writeFile(fresh, new Uint8Array(RING_FILE_SIZE));
    const wrongVersion = `${dir}/v2`;
    const bytes = new Uint8Array(RING_FILE_SIZE);
    new DataView(bytes.buffer).setUint32(0, 0x200, true);
    await Deno.writeFile(wrongVersion, bytes);
    const cases: Array<[string[], string]> = [
      [
        ["consume", "-i", missing],
        `Cannot open ring ${missing}: no such file (is the producer running, or is -i wrong?)`,
      ],
      [
        ["stat", "-i", missing],
        `Cannot open ring ${missing}: no such file (is the producer running, or is -i wrong?)`,
      ],
      [
        ["consume", "-i", old],
        `Cannot open ring ${old}: size 10489868, expected 12595200 (older ring format?)`,
      ],
      [
        ["stat", "-i", old],
        `Cannot open ring ${old}: size 10489868, expected 12595200 (older ring format?)`,
      ],
      [["consume", "-i", dir], `Cannot open ring ${dir}: is a directory`],
      [["produce", "-i", dir, "--eof-only"], `Cannot open ring ${dir}: is a directory`],
      [
        ["consume", "-i", fresh],
        `Cannot open ring ${fresh}: version 0x0, expected 0x100 (not initialised: no producer has set it up yet)`,
      ],
      [
        ["stat", "-i", wrongVersion],
        `Cannot open ring ${wrongVersion}: version 0x200, expected 0x100`,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runFmagent(args);
      assertEquals([result.code, result.stderr], [2, `fmagent: ${message}\n`], args.join(" "));
    }
  });
});

Deno.test("reliability: a ring file the user may not read gets 'permission denied', exit status 2", async () => {
  await withTempDir(async (dir) => {
    await Deno.chmod(dir, 0o755);
    const ring = `${dir}/ring`;
    Ring.openForProducer(ring).ring.close();
    await Deno.chmod(ring, 0o600);
    // As root every file is readable, so run the check as nobody (setpriv, util-linux).
    const asRoot = Deno.uid() === 0;
    const command = asRoot ? "setpriv" : Deno.execPath();
    const args = fmagentArgv(["stat", "-i", ring]);
    if (!asRoot) await Deno.chmod(ring, 0);
    const out = await new Deno.Command(command, {
      args: asRoot
        ? ["--reuid=65534", "--regid=65534", "--clear-groups", Deno.execPath(), ...args]
        : args,
      env: { DENO_DIR: `${dir}/deno-dir`, HOME: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(
      [out.code, new TextDecoder().decode(out.stderr)],
      [2, `fmagent: Cannot open ring ${ring}: permission denied\n`],
    );
  });
});

function peekPut(path: string): number {
  const ring = Ring.open(path, { writable: false });
  try {
    return ring.loadPut();
  } finally {
    ring.close();
  }
}

function spansEnd(spans: Array<[number, number]>): number {
  const last = spans[spans.length - 1];
  return last === undefined ? 0 : last[0] + last[1];
}

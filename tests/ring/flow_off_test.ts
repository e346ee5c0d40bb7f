/**
 * Rings without flow control, as pcap2fmadio creates them: the C peer
 * (--no-flow) never waits for the consumer and laps a slow one. fmagent must
 * then count the packets it could not read intact as lost and output every
 * other one byte for byte, never a record torn between two packets.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { checkNumberedRecords, numberedCapture } from "./numbered_packets.ts";
import {
  buildRingPeer,
  readAllStream,
  runPeer,
  sleep,
  spawnFmagent,
  waitUntil,
  withTempDir,
} from "./support.ts";
import { concat } from "../support/packet_builder.ts";

const PACKETS = 40_000;
const INPUT = numberedCapture(PACKETS, [60, 1514, 128, 900, 300, 1200, 74]);
/** Producer pace: 0.5 s of packets (~24 MB/s). */
const PACKETS_PER_SECOND = 80_000;

interface Scenario {
  /** The producer's bursts at full speed between its sleeps (ring_peer --burst). */
  readonly burst: number;
  /** Read the consumer's output from a pipe, one chunk (≤ 64 KiB) per this many ms; else a file. */
  readonly readEveryMs?: number;
}

/** True when process `pid` has `path` mapped (Linux: /proc/PID/maps). */
function mapsFile(pid: number, path: string): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/maps`).includes(path);
  } catch {
    return false;
  }
}

/**
 * Runs C producer (--no-flow) → fmagent consume, checks the records and the
 * summary, and returns [delivered, lost].
 */
async function lappedRun(scenario: Scenario): Promise<[number, number]> {
  return await withTempDir(async (dir) => {
    const peer = await buildRingPeer(dir);
    const ring = `${dir}/ring`;
    const input = `${dir}/in.pcap`;
    const empty = `${dir}/empty.pcap`;
    const file = `${dir}/out.pcap`;
    await Deno.writeFile(input, INPUT.pcap);
    await Deno.writeFile(empty, INPUT.pcap.subarray(0, 24));
    // The peer creates the ring without flow control (no packets yet), as pcap2fmadio does.
    const created = await runPeer(peer, ["produce", ring, "--no-flow", "--no-eof", empty]);
    assertEquals(created.code, 0, created.stderr);
    const piped = scenario.readEveryMs !== undefined;
    const consumer = spawnFmagent(["consume", "-i", ring, "-w", piped ? "-" : file], {
      stdout: piped ? "piped" : "null",
    });
    const stderr = readAllStream(consumer.stderr);
    // Start producing once fmagent has the ring mapped, so every burst meets a running consumer.
    await waitUntil(() => mapsFile(consumer.pid, ring), 30_000, "fmagent to map the ring");
    const producer = new Deno.Command(peer, {
      args: [
        "produce",
        ring,
        "--no-flow",
        "--pps",
        String(PACKETS_PER_SECOND),
        "--burst",
        String(scenario.burst),
        input,
      ],
      stderr: "piped",
    }).output();
    const chunks: Uint8Array[] = [];
    if (piped) {
      // A slow reader: the consumer's writes block, and the producer laps it meanwhile.
      const reader = consumer.stdout.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(value);
        await sleep(scenario.readEveryMs);
      }
    }
    const [status, errors, produced] = await Promise.all([consumer.status, stderr, producer]);
    const text = new TextDecoder().decode(errors);
    assertEquals(produced.code, 0, new TextDecoder().decode(produced.stderr));
    assertEquals(status.code, 0, text);
    const summary = text.match(
      /consume: (\d+) packets, \d+ bytes, 0 FCS errors, (\d+) lost to producer overruns, end of stream\n/,
    );
    assert(summary !== null, `no summary with losses (the producer never lapped?):\n${text}`);
    const [delivered, lost] = [Number(summary[1]), Number(summary[2])];
    assertMatch(
      text,
      /warning: the producer overran the ring \(no flow control\?\): \d+ packets lost/,
    );
    assert(lost > 0 && delivered > 0, text);
    assertEquals(delivered + lost, PACKETS, "every packet delivered or counted as lost");
    const output = piped ? concat(...chunks) : await Deno.readFile(file);
    const seen = checkNumberedRecords(output, INPUT);
    assertEquals(seen.length, delivered);
    // The last ring's worth is never lapped (the producer stops): it all comes out.
    assertEquals(seen.at(-1), PACKETS - 1);
    return [delivered, lost];
  });
}

Deno.test("flow control off: a producer lapping a consumer whose pipe is read slowly costs packets, counted; every record written is intact and in order", async () => {
  // The consumer spends its time blocked in writev: the producer overwrites the
  // slots it took long before their bytes go out (what tore records before).
  await lappedRun({ burst: 64, readEveryMs: 4 });
});

Deno.test("flow control off: a producer lapping a consumer in bursts at full speed, mid-copy; every record written is intact and in order", async () => {
  // Bursts of 8 rings' worth at ~10 Mpps while the consumer writes to a file at
  // full speed: it is lapped while it copies slots (what the check after the copy catches).
  await lappedRun({ burst: 8192 });
});

/** Shared helpers of the ring tests: the C peer, the CLI as a subprocess, sample captures. */
import { withTempDir as withTempDirOf } from "../support/temp_dir.ts";
import { buildPcap, type CapturedPacket, concat } from "../support/packet_builder.ts";
import { fmagent, fmagentArgv } from "../support/cli.ts";
import { tcpdumpRead } from "../support/tcpdump.ts";

export const REPO_ROOT = new URL("../../", import.meta.url);
export { MAIN } from "../support/cli.ts";
export { CORPUS_URL as CORPUS } from "../support/corpus.ts";

/**
 * Compiles tests/ring/peer/ring_peer.c with gcc into `dir` (a test's temp
 * dir, removed by the test); returns the binary's path.
 */
export async function buildRingPeer(dir: string): Promise<string> {
  const binary = `${dir}/ring_peer`;
  const source = new URL("peer/ring_peer.c", import.meta.url).pathname;
  const out = await new Deno.Command("gcc", {
    args: ["-O2", "-o", binary, source],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`gcc failed: ${new TextDecoder().decode(out.stderr)}`);
  return binary;
}

/** Runs `body` with a fresh temp dir that is removed afterwards. */
export function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  return withTempDirOf(body, "fmagent-ring-test-");
}

export interface RunResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs `fmagent ARGS` from source as a subprocess. */
export function runFmagent(args: readonly string[], stdin?: Uint8Array): Promise<RunResult> {
  return fmagent(args, stdin === undefined ? {} : { stdin });
}

/** Starts `fmagent ARGS` from source; stderr is piped, the rest as given. */
export function spawnFmagent(
  args: readonly string[],
  options: { stdin?: "piped" | "null"; stdout?: "piped" | "null" } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: fmagentArgv(args),
    stdin: options.stdin ?? "null",
    stdout: options.stdout ?? "null",
    stderr: "piped",
  }).spawn();
}

/** Runs the C peer `binary` and returns its exit code, stdout and stderr. */
export async function runPeer(binary: string, args: readonly string[]): Promise<RunResult> {
  const out = await new Deno.Command(binary, {
    args: [...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/** Deterministic Ethernet-looking packets of varied sizes (`sizes` cycles), 1 µs apart. */
export function samplePackets(
  count: number,
  sizes: readonly number[] = [60, 1514, 128, 900],
): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  for (let i = 0; i < count; i++) {
    const size = sizes[i % sizes.length]!;
    const data = new Uint8Array(size);
    for (let k = 0; k < size; k++) data[k] = (i * 7 + k * 13) & 0xff;
    data[12] = 0x08; // IPv4 ethertype, so printers see a plausible frame
    data[13] = 0x00;
    const ns = 123_456_789 + i * 1000;
    packets.push({
      data,
      sec: 1_700_000_000 + Math.floor(ns / 1e9),
      nsec: ns % 1e9,
      wirelen: size + (i % 3),
    });
  }
  return packets;
}

/** A nanosecond pcap of `packets`. */
export function samplePcap(packets: readonly CapturedPacket[]): Uint8Array {
  return buildPcap(packets, { nanosecond: true });
}

/** The bytes after the 24-byte pcap file header: the records. */
export function records(pcap: Uint8Array): Uint8Array {
  return pcap.subarray(24);
}

/** Splits pcap records into [offset, length] of each whole record; a cut last record is dropped. */
export function recordSpans(pcapRecords: Uint8Array): Array<[number, number]> {
  const view = new DataView(pcapRecords.buffer, pcapRecords.byteOffset, pcapRecords.byteLength);
  const spans: Array<[number, number]> = [];
  let at = 0;
  while (at + 16 <= pcapRecords.length) {
    const length = 16 + view.getUint32(at + 8, true);
    if (at + length > pcapRecords.length) break;
    spans.push([at, length]);
    at += length;
  }
  return spans;
}

/** `tcpdump -r PATH -nn -tt --nano -S` output lines (stderr ignored). */
export async function tcpdumpLines(path: string): Promise<string[]> {
  // -S: absolute TCP sequence numbers, so lines do not depend on earlier files in the same run.
  return (await tcpdumpRead(path, ["-S"])).lines;
}

/** Reads a whole stream into one array. */
export async function readAllStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concat(...chunks);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms until true or `timeoutMs` passes (then throws). */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until a producer has created and initialised the ring at `path` (Version is 0x100). */
export async function waitForRing(path: string, timeoutMs = 30_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    try {
      using file = await Deno.open(path);
      const head = new Uint8Array(4);
      if ((await file.read(head)) === 4 && new DataView(head.buffer).getUint32(0, true) === 0x100) {
        return;
      }
    } catch {
      // not there yet
    }
    if (performance.now() > end) throw new Error(`timed out waiting for ring ${path}`);
    await sleep(10);
  }
}

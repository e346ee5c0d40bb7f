/**
 * Helpers for the packaging tests: running programs, the shared corpus, and
 * a minimal classic-pcap record reader (independent of src/pcap, so a bug
 * there cannot hide itself in a comparison).
 */

export const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
import { CORPUS_DIR } from "../support/corpus.ts";

export { CORPUS_DIR };
/** A 186-packet Ethernet capture, every packet under the ring's 10,240-byte slot payload. */
export const RING_SAMPLE = `${CORPUS_DIR}AoE_Linux.pcap`;

export interface Ran {
  readonly code: number;
  readonly signal: Deno.Signal | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Uint8Array;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  /** Start from an empty environment (plus `env`). */
  readonly clearEnv?: boolean;
  readonly stdin?: Uint8Array;
  readonly cwd?: string;
}

/**
 * Spawns `command`, retrying while its program is "Text file busy": a binary
 * a test has just written can still be open in a child that another test,
 * running in parallel in this process, forked in that instant (the child
 * holds the descriptor until its exec closes it).
 */
async function spawnWritten(command: Deno.Command): Promise<Deno.ChildProcess> {
  for (let attempt = 1;; attempt++) {
    try {
      return command.spawn();
    } catch (error) {
      const busy = error instanceof Error && /Text file busy|os error 26/.test(error.message);
      if (!busy || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Runs `program` to completion and collects its output. */
export async function run(
  program: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Ran> {
  const command = new Deno.Command(program, {
    args: [...args],
    env: options.env ?? {},
    clearEnv: options.clearEnv ?? false,
    cwd: options.cwd ?? REPO_ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = await spawnWritten(command);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    stdoutBytes: out.stdout,
  };
}

/** A message for assertions: what a program said when it did not do what was expected. */
export function said(ran: Ran): string {
  return `exit ${ran.code}${ran.signal ? ` (${ran.signal})` : ""}\nstdout: ${
    ran.stdout.slice(0, 2000)
  }\nstderr: ${ran.stderr.slice(0, 2000)}`;
}

export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** True when we may mount, chroot and chown (root in CI and here). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/** Whether the ring commands have landed (the ring engineer's `produce`/`consume`). */
export function hasRingCommands(): boolean {
  return exists(`${REPO_ROOT}/src/cli/produce.ts`) && exists(`${REPO_ROOT}/src/cli/consume.ts`) &&
    exists(`${REPO_ROOT}/src/ring/producer.ts`);
}

export interface PcapRecord {
  readonly sec: number;
  readonly nsec: number;
  readonly caplen: number;
  readonly wirelen: number;
  readonly data: Uint8Array;
}

/** The records of a classic pcap (µs or ns, either byte order), timestamps in ns. */
export function pcapRecords(bytes: Uint8Array): { linkType: number; records: PcapRecord[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const forms: Record<number, [boolean, number]> = {
    0xa1b2c3d4: [true, 1000],
    0xa1b23c4d: [true, 1],
    0xd4c3b2a1: [false, 1000],
    0x4d3cb2a1: [false, 1],
  };
  const form = forms[magic];
  if (form === undefined) throw new Error(`not a classic pcap (magic 0x${magic.toString(16)})`);
  const [little, scale] = form;
  const linkType = view.getUint32(20, little);
  const records: PcapRecord[] = [];
  let at = 24;
  while (at + 16 <= bytes.length) {
    const caplen = view.getUint32(at + 8, little);
    if (at + 16 + caplen > bytes.length) throw new Error(`record at ${at} runs past the end`);
    records.push({
      sec: view.getUint32(at, little),
      nsec: view.getUint32(at + 4, little) * scale,
      caplen,
      wirelen: view.getUint32(at + 12, little),
      data: bytes.slice(at + 16, at + 16 + caplen),
    });
    at += 16 + caplen;
  }
  if (at !== bytes.length) throw new Error(`${bytes.length - at} stray bytes at the end`);
  return { linkType, records };
}

/** Undoes a mount made by a test; tolerant of one that never happened. */
export async function unmount(path: string): Promise<void> {
  await run("umount", ["-l", path]).catch(() => {});
}

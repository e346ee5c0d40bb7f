/**
 * tcpdump as the oracle: which packets of a pcap file an expression selects
 * (by the timestamp second, which our test files set to the packet index),
 * and whether tcpdump accepts an expression at all.
 */
import { pcapBytes, readPcap } from "./pcap_file.ts";

export interface TcpdumpVerdict {
  /** Indexes of the selected packets, or undefined when tcpdump refused the expression. */
  readonly selected: Set<number> | undefined;
  readonly error: string;
}

/** Runs `tcpdump -r file -w - -F exprfile`; the expression goes through a file so no word is taken for a flag. */
export async function tcpdumpSelect(
  file: string,
  expression: string,
  dir: string,
  optimize = true,
): Promise<TcpdumpVerdict> {
  const exprFile = `${dir}/expr-${crypto.randomUUID()}.txt`;
  await Deno.writeTextFile(exprFile, expression);
  try {
    const out = await new Deno.Command("tcpdump", {
      // -O turns libpcap's optimiser off: the program as gencode.c made it.
      args: [...(optimize ? [] : ["-O"]), "-r", file, "-w", "-", "-F", exprFile],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const error = new TextDecoder().decode(out.stderr).replace(/^reading from file.*\n/m, "")
      .trim();
    if (!out.success) return { selected: undefined, error };
    return { selected: new Set(readPcap(out.stdout).seconds), error };
  } finally {
    await Deno.remove(exprFile);
  }
}

/**
 * Whether tcpdump compiles the expression for an Ethernet capture file (exit
 * status 0), with its message. A file, not `-d`: some primitives (`inbound`,
 * `ifindex`) compile for live Linux capture but not for savefiles.
 */
export async function tcpdumpAccepts(
  expression: string,
  dir: string,
): Promise<{ ok: boolean; error: string }> {
  const exprFile = `${dir}/expr-${crypto.randomUUID()}.txt`;
  const capture = `${dir}/empty-${crypto.randomUUID()}.pcap`;
  await Deno.writeTextFile(exprFile, expression);
  await Deno.writeFile(capture, pcapBytes([]));
  try {
    const out = await new Deno.Command("tcpdump", {
      args: ["-r", capture, "-w", "/dev/null", "-F", exprFile],
      stdout: "null",
      stderr: "piped",
    }).output();
    const error = new TextDecoder().decode(out.stderr).replace(/^reading from file.*\n/m, "")
      .trim();
    return { ok: out.success, error };
  } finally {
    await Deno.remove(exprFile);
    await Deno.remove(capture);
  }
}

/** Runs `jobs` with at most `limit` in flight. */
export async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

/**
 * The program tcpdump compiles for an expression, in `-ddd` form, with
 * libpcap's optimiser (default) or without (`-O`); undefined when refused.
 */
export async function tcpdumpProgramText(
  expression: string,
  dir: string,
  optimize = true,
): Promise<string | undefined> {
  const exprFile = `${dir}/expr-${crypto.randomUUID()}.txt`;
  await Deno.writeTextFile(exprFile, expression);
  try {
    const out = await new Deno.Command("tcpdump", {
      args: [...(optimize ? [] : ["-O"]), "-ddd", "-n", "-F", exprFile],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } finally {
    await Deno.remove(exprFile);
  }
}

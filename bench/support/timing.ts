/** Wall-clock timing of whole commands, for benchmarks that compare fmagent with C tools. */

import { RUNTIME_V8_FLAGS } from "../../compile/permissions.ts";
export interface CommandSpec {
  readonly label: string;
  readonly cmd: string;
  readonly args: readonly string[];
}

/** Seconds one run of `spec` takes; throws if it fails. */
export async function timeCommand(spec: CommandSpec): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(spec.cmd, {
    args: [...spec.args],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - start) / 1000;
  if (out.code !== 0) {
    throw new Error(`${spec.label} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return seconds;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs every spec `rounds` times, interleaved so drift hits all alike; median seconds per label. */
export async function compareCommands(
  specs: readonly CommandSpec[],
  rounds = 5,
): Promise<Map<string, number>> {
  const times = new Map<string, number[]>(specs.map((s) => [s.label, []]));
  for (const s of specs) await timeCommand(s); // warm the page cache and Deno's module cache
  for (let r = 0; r < rounds; r++) {
    for (const s of specs) times.get(s.label)!.push(await timeCommand(s));
  }
  return new Map([...times].map(([label, t]) => [label, median(t)]));
}

/** The fmagent CLI from source, as `deno task fmagent` runs it. */
export function fmagentCommand(label: string, args: readonly string[]): CommandSpec {
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  return {
    label,
    cmd: Deno.execPath(),
    args: ["run", "--allow-all", ...RUNTIME_V8_FLAGS, "--quiet", main, ...args],
  };
}

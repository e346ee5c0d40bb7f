/** Runs the installed tcpdump, the oracle of the conformance tests. */

export interface TcpdumpResult {
  readonly code: number;
  readonly lines: string[];
  readonly stderr: string;
}

/** `tcpdump -r FILE -nn -tt --nano [args]`: its non-empty output lines. */
export async function tcpdumpRead(
  file: string,
  args: readonly string[] = [],
): Promise<TcpdumpResult> {
  const out = await new Deno.Command("tcpdump", {
    args: ["-r", file, "-nn", "-tt", "--nano", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { TZ: "UTC" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  return {
    code: out.code,
    lines: text.split("\n").filter((l) => l !== ""),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inPool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: limit }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(workers);
}

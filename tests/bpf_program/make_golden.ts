/**
 * Regenerates fixtures/golden_dumps.json from the installed tcpdump:
 *   deno run -A tests/bpf_program/make_golden.ts
 * Each record holds tcpdump's -d, -dd and -ddd output for one expression.
 */
import { GOLDEN_EXPRESSIONS } from "./golden_expressions.ts";

export interface GoldenDump {
  readonly expression: string;
  readonly unoptimized: boolean;
  readonly d: string;
  readonly dd: string;
  readonly ddd: string;
}

/** tcpdump's output for `expression` at one -d level, or throws with its stderr. */
export async function tcpdumpDump(
  expression: string,
  flag: "-d" | "-dd" | "-ddd",
  unoptimized: boolean,
): Promise<string> {
  const args = [...(unoptimized ? ["-O"] : []), "-y", "EN10MB", flag, "--", expression];
  const out = await new Deno.Command("tcpdump", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`tcpdump ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

if (import.meta.main) {
  const dumps: GoldenDump[] = [];
  for (const { expression, unoptimized = false } of GOLDEN_EXPRESSIONS) {
    const [d, dd, ddd] = await Promise.all(
      (["-d", "-dd", "-ddd"] as const).map((f) => tcpdumpDump(expression, f, unoptimized)),
    );
    dumps.push({ expression, unoptimized, d: d!, dd: dd!, ddd: ddd! });
  }
  const path = new URL("./fixtures/golden_dumps.json", import.meta.url);
  await Deno.writeTextFile(path, JSON.stringify(dumps, null, 2) + "\n");
  console.log(`wrote ${dumps.length} golden dumps to ${path.pathname}`);
}

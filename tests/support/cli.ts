/** Runs the real fmagent CLI from source as a subprocess, as a user would. */
import { RUNTIME_V8_FLAGS } from "../../compile/permissions.ts";

export const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

export interface CliResult {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
  readonly text: string;
}

export interface CliOptions {
  readonly stdin?: Uint8Array;
  readonly cwd?: string;
  readonly env?: Record<string, string>;
}

/** The arguments of Deno.execPath() that run `fmagent ARGS` from source, as users run it. */
export function fmagentArgv(args: readonly string[]): string[] {
  return ["run", "--allow-all", ...RUNTIME_V8_FLAGS, "--quiet", MAIN, ...args];
}

export async function fmagent(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: fmagentArgv(args),
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { NO_COLOR: "1", ...(options.env ?? {}) },
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin).catch(() => {});
    await writer.close().catch(() => {});
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
    text: new TextDecoder().decode(out.stdout),
  };
}

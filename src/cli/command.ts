import { Command, InvalidArgumentError } from "./arg_parser.ts";
import { type CommandRun, EXIT_OK, EXIT_USAGE, type Io, printError, writeText } from "./io.ts";
import { exitCodeOf, messageOf, usageError } from "./errors.ts";

/** The parser for subcommand `name`, with its one-line summary for the help. */
export function newCommand(name: string, summary: string): Command {
  return new Command(`fmagent ${name}`).description(summary);
}

/** Result of parsing: the command to read options from, or the exit status to return now. */
export type Parsed = { ok: true; command: Command } | { ok: false; exitCode: number };

/** Parses `args`; help goes to stdout (exit 0), a usage error is one stderr line (exit 2). */
export async function parseArgs(
  command: Command,
  args: readonly string[],
  io: Io,
): Promise<Parsed> {
  const outcome = command.parse(args);
  if (outcome.kind === "ok") return { ok: true, command };
  if (outcome.kind === "help") {
    await writeText(io.stdout, outcome.text);
    return { ok: false, exitCode: EXIT_OK };
  }
  const name = command.commandName.replace(/^fmagent /, "");
  await printError(io, `${outcome.message} (see 'fmagent ${name} --help')`);
  return { ok: false, exitCode: EXIT_USAGE };
}

/** Parses a non-negative integer option value (decimal or 0x hex). */
export function integerOption(min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = /^0x[0-9a-f]+$/i.test(value)
      ? parseInt(value, 16)
      : /^\d+$/.test(value)
      ? Number(value)
      : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** Runs a subcommand body, turning thrown errors into one stderr line and an exit status. */
export async function guarded(io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    // The reader went away (`| head`): nothing left to say to anyone.
    if (error instanceof Deno.errors.BrokenPipe) return EXIT_OK;
    await printError(io, messageOf(error));
    return exitCodeOf(error);
  }
}

export { usageError };
export type { CommandRun };

import { Command, CommanderError, InvalidArgumentError } from "commander";
import { type CommandRun, EXIT_OK, EXIT_USAGE, type Io, printError, writeText } from "./io.ts";
import { exitCodeOf, messageOf, usageError } from "./errors.ts";

/**
 * A commander Command wired for a subcommand: output goes through `io`,
 * parse failures become exit status 2 instead of process exits.
 */
export function newCommand(name: string, summary: string): Command {
  return new Command(`fmagent ${name}`)
    .description(summary)
    .exitOverride()
    .allowExcessArguments(false)
    .helpOption("-h, --help", "show this help")
    .configureHelp({ sortOptions: false, showGlobalOptions: false });
}

/** Result of parsing: the command to read options from, or the exit status to return now. */
export type Parsed = { ok: true; command: Command } | { ok: false; exitCode: number };

/** Parse `args`; help and errors are written to `io`, and a finished parse (help, error) returns its status. */
export async function parseArgs(
  command: Command,
  args: readonly string[],
  io: Io,
): Promise<Parsed> {
  let out = "";
  let err = "";
  command.configureOutput({
    writeOut: (s) => void (out += s),
    writeErr: (s) => void (err += s),
    outputError: (s, write) => write(s),
  });
  for (const sub of command.commands) sub.exitOverride();
  try {
    command.parse([...args], { from: "user" });
    return { ok: true, command };
  } catch (error) {
    if (out) await writeText(io.stdout, out);
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") {
        return { ok: false, exitCode: EXIT_OK };
      }
      if (error.code === "commander.help") return { ok: false, exitCode: EXIT_OK };
      const line = err.trim().replace(/^error: /, "") || error.message;
      await printError(
        io,
        `${line} (see 'fmagent ${command.name().replace(/^fmagent /, "")} --help')`,
      );
      return { ok: false, exitCode: EXIT_USAGE };
    }
    throw error;
  }
}

/** Parses a non-negative integer option value (decimal or 0x hex), for commander. */
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

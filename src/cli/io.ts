/**
 * The process boundary every subcommand talks through, so tests can run a
 * subcommand with in-memory streams and the npm build can supply Node's.
 */

/** Pull bytes; `null` at end of input. Deno.stdin and Deno.FsFile satisfy it. */
export interface ByteReader {
  read(into: Uint8Array): Promise<number | null>;
}

/** Push bytes; may write fewer than given. Deno.stdout and Deno.FsFile satisfy it. */
export interface ByteWriter {
  write(bytes: Uint8Array): Promise<number>;
}

export interface Io {
  readonly stdin: ByteReader;
  readonly stdout: ByteWriter;
  readonly stderr: ByteWriter;
  /** Aborted on SIGINT/SIGTERM; long-running commands finish cleanly when it fires. */
  readonly signal: AbortSignal;
  /** True when stderr is a terminal (progress lines may redraw in place). */
  readonly stderrIsTerminal: boolean;
}

/** A subcommand: parses its own arguments, returns the exit status; never exits the process. */
export type CommandRun = (args: readonly string[], io: Io) => Promise<number>;

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export async function writeAll(writer: ByteWriter, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    done += await writer.write(done === 0 ? bytes : bytes.subarray(done));
  }
}

const encoder = new TextEncoder();

export function writeText(writer: ByteWriter, text: string): Promise<void> {
  return writeAll(writer, encoder.encode(text));
}

/** One diagnostic line on stderr, prefixed as every fmagent message is. */
export function printError(io: Io, message: string): Promise<void> {
  return writeText(io.stderr, `fmagent: ${message}\n`);
}

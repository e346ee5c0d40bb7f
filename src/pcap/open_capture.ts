/**
 * Opens a capture by path ("-" for stdin) and maps the ways that can fail to
 * one-line errors naming the file.
 */
import type { ByteReader } from "../cli/io.ts";
import { UserError } from "../cli/errors.ts";
import { EXIT_FAILURE, EXIT_USAGE } from "../cli/io.ts";
import { CaptureReader, type CaptureReaderOptions } from "./capture_reader.ts";
import { readsSynchronously } from "./sync_io.ts";

export interface OpenCapture {
  readonly reader: CaptureReader;
  /** Closes the file (not stdin). */
  close(): void;
}

/** A short reason for a failed open, as the user should read it. */
export function describeOpenError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

/** Opens `path` for reading; throws UserError (exit 2) when it cannot. */
export async function openInputFile(path: string): Promise<Deno.FsFile> {
  return (await openInput(path)).file;
}

/** Opens `path` for reading and tells whether it is a regular file. */
async function openInput(path: string): Promise<{ file: Deno.FsFile; isFile: boolean }> {
  try {
    const file = await Deno.open(path, { read: true });
    const info = await file.stat();
    if (info.isDirectory) {
      file.close();
      throw new Deno.errors.IsADirectory();
    }
    return { file, isFile: info.isFile };
  } catch (error) {
    throw new UserError(`Cannot read ${path}: ${describeOpenError(error)}`, EXIT_USAGE, {
      cause: error,
    });
  }
}

/** Opens a capture file, or `stdin` when `path` is "-". */
export async function openCaptureFile(
  path: string,
  stdin: ByteReader,
  options: CaptureReaderOptions = {},
): Promise<OpenCapture> {
  if (path === "-") {
    return { reader: await CaptureReader.open(stdin, "stdin", options), close: () => {} };
  }
  const { file, isFile } = await openInput(path);
  try {
    // A regular file never blocks for long, so it is read synchronously (cheaper
    // in Deno); pipes and devices keep async reads so signals are still handled.
    if (isFile) readsSynchronously(file, (into) => file.readSync(into));
    const reader = await CaptureReader.open(file, path, options);
    return { reader, close: () => file.close() };
  } catch (error) {
    file.close();
    if (error instanceof Deno.errors.Interrupted || error instanceof Deno.errors.BadResource) {
      throw new UserError(`Cannot read ${path}: ${describeOpenError(error)}`, EXIT_FAILURE);
    }
    throw error;
  }
}

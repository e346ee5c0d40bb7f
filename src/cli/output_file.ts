/**
 * Opens an output path ("-" for stdout) as a ByteWriter, with one-line errors.
 */
import { UserError } from "./errors.ts";
import { type ByteWriter, EXIT_USAGE, type Io } from "./io.ts";
import { describeOpenError } from "../pcap/open_capture.ts";

export interface OutputFile {
  readonly writer: ByteWriter;
  readonly name: string;
  close(): void;
}

export async function openOutputFile(path: string, io: Io): Promise<OutputFile> {
  if (path === "-") return { writer: io.stdout, name: "stdout", close: () => {} };
  try {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    return { writer: file, name: path, close: () => file.close() };
  } catch (error) {
    throw new UserError(`Cannot write ${path}: ${describeOpenError(error)}`, EXIT_USAGE, {
      cause: error,
    });
  }
}

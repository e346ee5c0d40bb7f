import { EXIT_USAGE } from "../cli/io.ts";

/**
 * A capture file fmagent cannot read: not a capture, or corrupt at `offset`.
 * Bad input, so exit status 2.
 */
export class CaptureError extends Error {
  override name = "CaptureError";
  readonly exitCode = EXIT_USAGE;
  constructor(readonly file: string, readonly offset: number | undefined, readonly detail: string) {
    super(
      offset === undefined
        ? `Cannot read ${file}: ${detail}`
        : `Cannot read ${file}: ${detail} at byte ${offset}`,
    );
  }
}

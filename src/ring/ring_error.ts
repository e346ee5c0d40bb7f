/**
 * A ring operation failed. The message starts with what could not be done
 * (`Cannot open ring PATH: ...`); `exitCode` is 2 when the ring file itself
 * is unusable (bad input) and 1 when a run failed (a stalled consumer, I/O).
 */
export class RingError extends Error {
  override name = "RingError";
  constructor(message: string, readonly exitCode: number, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The ring file cannot be used: missing, a directory, wrong size/version, no permission. */
export function ringOpenError(path: string, reason: string, cause?: unknown): RingError {
  return new RingError(
    `Cannot open ring ${path}: ${reason}`,
    2,
    cause === undefined ? undefined : { cause },
  );
}

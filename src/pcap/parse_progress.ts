/**
 * What one parse pass over buffered bytes achieved. Parsers do no I/O: they
 * consume whole records from `[start, end)` and say where they stopped and why.
 */
export interface ParseProgress {
  /** Offset (in the buffer) of the first byte not consumed. */
  next: number;
  /** Bytes needed at `next` to make progress; 0 when the pass stopped because the batch is full. */
  need: number;
  /** Non-empty when the bytes at `next` are corrupt: what is wrong, for the user. */
  error: string;
}

export function newParseProgress(): ParseProgress {
  return { next: 0, need: 0, error: "" };
}

/**
 * A ByteReader over a file that is still being written (a live capture):
 * at end of file it waits for more bytes instead of ending, until `signal`
 * aborts. The capture reader above it only ever consumes whole records, so a
 * half-written record simply waits for its rest.
 */
import type { ByteReader } from "../cli/io.ts";
import { abortableSleep } from "../cli/abortable_sleep.ts";

export interface FollowOptions {
  /** First wait at end of file, in ms; doubles while idle up to `maxPollMs`. */
  readonly minPollMs?: number;
  readonly maxPollMs?: number;
}

export function followFile(
  file: ByteReader,
  signal: AbortSignal,
  options: FollowOptions = {},
): ByteReader {
  const minPoll = options.minPollMs ?? 1;
  const maxPoll = options.maxPollMs ?? 50;
  return {
    async read(into: Uint8Array): Promise<number | null> {
      let wait = minPoll;
      for (;;) {
        if (signal.aborted) return null;
        const n = await file.read(into);
        if (n !== null && n > 0) return n;
        await abortableSleep(wait, signal);
        wait = Math.min(wait * 2, maxPoll);
      }
    },
  };
}

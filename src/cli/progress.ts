/**
 * At most one status line a second on stderr during long work. Callers tick
 * once per batch; the clock is read only then, never per packet.
 */
import { type Io, writeText } from "./io.ts";

export interface ProgressLine {
  /** Called once per batch with a function that renders the current status. */
  tick(render: () => string): Promise<void>;
  /** Clears a redrawn line on a terminal before the final summary. */
  end(): Promise<void>;
}

export function progressLine(io: Io, enabled: boolean, intervalMs = 1000): ProgressLine {
  let last = performance.now();
  let drawn = false;
  return {
    async tick(render) {
      if (!enabled) return;
      const now = performance.now();
      if (now - last < intervalMs) return;
      last = now;
      if (io.stderrIsTerminal) {
        await writeText(io.stderr, `\r\x1b[K${render()}`);
        drawn = true;
      } else {
        await writeText(io.stderr, `${render()}\n`);
      }
    },
    async end() {
      if (drawn) await writeText(io.stderr, "\r\x1b[K");
      drawn = false;
    },
  };
}

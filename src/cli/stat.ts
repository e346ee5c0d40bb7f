/** `fmagent stat`: an FMAD ring's header and counters (fmadio2stat's role), read-only. */
import { guarded, newCommand, parseArgs } from "./command.ts";
import { EXIT_OK, type Io, writeText } from "./io.ts";
import { InvalidArgumentError } from "./arg_parser.ts";
import { DEFAULT_RING_PATH } from "../ring/options.ts";
import {
  formatSnapshot,
  formatWatchLine,
  lagMs,
  openRingForStat,
  type RingSnapshot,
  snapshotRecord,
  takeSnapshot,
} from "../ring/ring_stat.ts";
import { abortableSleep } from "./abortable_sleep.ts";

const EXAMPLES = `
Examples:
  fmagent stat                               the default ring, once
  fmagent stat -i /opt/fmadio/queue/lxc_ring0 --json
  fmagent stat --watch 1                     a line a second with rates and consumer lag; Ctrl-C ends

Maps the ring read-only: safe while a producer and a consumer run.
`;

function seconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 86400) {
    throw new InvalidArgumentError("expected seconds from 0.001 to 86400");
  }
  return value;
}

export function run(args: readonly string[], io: Io): Promise<number> {
  return guarded(io, async () => {
    const command = newCommand("stat", "show an FMAD ring's header and counters")
      .option("-i, --ring <path>", "ring file", DEFAULT_RING_PATH)
      .option("--json", "one JSON object (per interval with --watch)")
      .option("--watch <seconds>", "repeat every interval with rates and consumer lag", seconds)
      .addHelpText("after", EXAMPLES);
    const parsed = await parseArgs(command, args, io);
    if (!parsed.ok) return parsed.exitCode;
    const o = command.opts<{ ring: string; json?: boolean; watch?: number }>();
    const ring = openRingForStat(o.ring);
    try {
      let previous = takeSnapshot(ring);
      await writeText(io.stdout, render(o.ring, previous, undefined, o.json === true));
      if (o.watch === undefined) return EXIT_OK;
      while (!io.signal.aborted) {
        await abortableSleep(o.watch * 1000, io.signal);
        if (io.signal.aborted) break;
        const now = takeSnapshot(ring);
        await writeText(io.stdout, render(o.ring, now, previous, o.json === true));
        previous = now;
      }
      return EXIT_OK;
    } finally {
      ring.close();
    }
  });
}

function render(
  path: string,
  now: RingSnapshot,
  previous: RingSnapshot | undefined,
  json: boolean,
): string {
  if (json) {
    const record = snapshotRecord(path, now);
    if (previous !== undefined) {
      const dt = (now.at - previous.at) / 1000;
      record.putPacketsPerSecond = (now.counters.put - previous.counters.put) / dt;
      record.getPacketsPerSecond = (now.counters.get - previous.counters.get) / dt;
      record.getBitsPerSecond = ((now.counters.getByte - previous.counters.getByte) * 8) / dt;
      record.lagPackets = now.counters.put - now.counters.get;
      record.lagMs = lagMs(now.counters);
    }
    return `${JSON.stringify(record)}\n`;
  }
  return previous === undefined ? formatSnapshot(path, now) : `${formatWatchLine(previous, now)}\n`;
}

import type { Io } from "./io.ts";

/**
 * The real process streams under Deno. SIGINT/SIGTERM abort `io.signal` so
 * commands can flush and print their summary; a second signal exits at once.
 */
export function denoIo(): { io: Io; dispose: () => void } {
  const controller = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => {
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort();
  };
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  const io: Io = {
    stdin: Deno.stdin,
    stdout: Deno.stdout,
    stderr: Deno.stderr,
    signal: controller.signal,
    stderrIsTerminal: Deno.stderr.isTerminal(),
  };
  const dispose = () => {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  };
  return { io, dispose };
}

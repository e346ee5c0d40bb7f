/**
 * The real process streams under Node (the npm package's bin), the twin of
 * io_deno.ts: stdio as file descriptors through the Node `Deno` shim, and
 * SIGINT/SIGTERM abort `io.signal` so commands can flush and print their
 * summary; a second signal exits at once.
 */
import type { Io } from "./io.ts";
import { Deno as NodeDeno } from "./deno_shim.node.ts";

export function nodeIo(): { io: Io; dispose: () => void } {
  const controller = new AbortController();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => {
    if (controller.signal.aborted) NodeDeno.exit(130);
    controller.abort();
  };
  for (const s of signals) NodeDeno.addSignalListener(s, onSignal);
  const io: Io = {
    stdin: NodeDeno.stdin,
    stdout: NodeDeno.stdout,
    stderr: NodeDeno.stderr,
    signal: controller.signal,
    stderrIsTerminal: NodeDeno.stderr.isTerminal(),
  };
  const dispose = () => {
    for (const s of signals) NodeDeno.removeSignalListener(s, onSignal);
  };
  return { io, dispose };
}

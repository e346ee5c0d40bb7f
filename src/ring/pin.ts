/** Pinning a ring side to a CPU (--cpu), with the failure as one line. */
import { type RingMemory, RingOsError } from "../../ffi/ring_memory.ts";
import { RingError } from "./ring_error.ts";

/** Pins the calling thread to `cpu`; throws RingError (exit 2) when the CPU cannot be used. */
export function pinToCpu(memory: RingMemory, cpu: number): void {
  try {
    memory.pinToCpu(cpu);
  } catch (error) {
    const reason = error instanceof RingOsError ? error.reason : String(error);
    throw new RingError(`Cannot pin to CPU ${cpu}: ${reason}`, 2, { cause: error });
  }
}

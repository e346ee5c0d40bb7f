/**
 * A RingMemory that serves one ring already in memory (a scratch ring a test
 * filled), so consumeFromRing can read it as if it had mapped a file.
 */
import type { RingMemory } from "../../ffi/ring_memory.ts";
import type { Ring } from "../../src/ring/ring.ts";

export function memoryOfRing(ring: Ring): RingMemory {
  const buffer = ring.bytes.buffer as ArrayBuffer;
  return {
    statRingFile: () => ({ kind: "file", size: ring.bytes.byteLength }),
    createRingFile: () => {},
    mapRingFile: () => ({ buffer, close: () => {} }),
    pinToCpu: () => {},
    yieldCpu: () => {},
  };
}

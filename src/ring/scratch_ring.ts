/**
 * A ring in a plain buffer, never a file: the consumer's warm-up runs its hot
 * loops through one before the real ring's first packet, so V8 has compiled
 * them by then.
 */
import type { RingMemory } from "../../ffi/ring_memory.ts";
import { Ring } from "./ring.ts";

/** A fresh, empty ring in memory (same layout and class as a mapped one). */
export function openScratchRing(): Ring {
  return Ring.openForProducer("(warm-up)", { reset: true }, scratchRingMemory()).ring;
}

function scratchRingMemory(): RingMemory {
  let buffer: ArrayBuffer | undefined;
  return {
    statRingFile: () =>
      buffer === undefined
        ? { kind: "missing", size: 0 }
        : { kind: "file", size: buffer.byteLength },
    createRingFile: (_path, size) => {
      buffer = new ArrayBuffer(size);
    },
    mapRingFile: () => ({ buffer: buffer!, close: () => {} }),
    pinToCpu: () => {},
    yieldCpu: () => {},
  };
}

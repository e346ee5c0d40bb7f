/**
 * The runtime-neutral interface to the ring file: everything fmagent's ring
 * code needs from the OS, small enough to implement on Deno FFI
 * (`ring_memory.deno.ts`) and on Node with koffi (`ring_memory.node.ts`);
 * a bundler swaps the file. Nothing here may depend on a runtime.
 */

/** A shared mapping of a ring file. */
export interface RingMapping {
  /**
   * The mapped bytes, shared with every other process mapping the file; no copy.
   * Valid until `close()`: touching it afterwards crashes the process, so
   * views into it must not outlive the mapping. A read-only mapping must
   * never be written.
   */
  readonly buffer: ArrayBuffer;
  /** Unmaps the file (idempotent). */
  close(): void;
}

export interface MapOptions {
  readonly writable: boolean;
  /** Private memory to map right after the file's bytes (see mapRingFile). */
  readonly scratchBytes?: number;
}

export type RingFileKind = "missing" | "file" | "directory" | "other";

export interface RingFileInfo {
  readonly kind: RingFileKind;
  /** Size in bytes (0 unless kind is "file"). */
  readonly size: number;
}

/** An OS call failed: `reason` is the strerror text, e.g. "Permission denied". */
export class RingOsError extends Error {
  override name = "RingOsError";
  constructor(readonly call: string, readonly errno: number, readonly reason: string) {
    super(`${call} failed: ${reason}`);
  }
}

export interface RingMemory {
  /** What is at `path` (follows symlinks). */
  statRingFile(path: string): RingFileInfo;
  /**
   * Creates `path` (with `mode`, less the umask, if it does not exist) or
   * empties it, and sizes it to `size` zero bytes. Throws RingOsError.
   */
  createRingFile(path: string, size: number, mode: number): void;
  /**
   * Maps `size` bytes of `path` shared (read-write or read-only). Throws RingOsError.
   * With `scratchBytes`, the mapping's `buffer` goes on past the file with that
   * many bytes (rounded up to whole pages) of private, zeroed memory: one
   * ArrayBuffer holding the ring and the producer's read buffer, so a packet
   * moves from one to the other with `copyWithin`, which allocates nothing
   * (`set` needs a subarray object per packet). An implementation may map no
   * scratch (check `buffer.byteLength`); callers then copy with `set`.
   */
  mapRingFile(path: string, size: number, options: MapOptions): RingMapping;
  /** Pins the calling thread to CPU `cpu` (sched_setaffinity). Throws RingOsError. */
  pinToCpu(cpu: number): void;
  /** Gives up the CPU for a moment (sched_yield): the step between spinning and sleeping. */
  yieldCpu(): void;
}

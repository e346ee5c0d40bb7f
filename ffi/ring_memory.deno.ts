/**
 * RingMemory on Deno: libc (libc.deno.ts, opened on first use, so commands
 * that never map a ring need no --allow-ffi).
 */
import { cString, lib } from "./libc.deno.ts";
import {
  type MapOptions,
  type RingFileInfo,
  type RingMapping,
  type RingMemory,
  RingOsError,
} from "./ring_memory.ts";

const O_RDONLY = 0;
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const PAGE = 4096;
const MAP_FAILED = 0xffffffffffffffffn;
const CPU_SET_BYTES = 128; // sizeof(cpu_set_t): 1024 CPUs

function osError(call: string): RingOsError {
  const c = lib();
  const at = c.__errno_location();
  const errno = at === null ? 0 : new Deno.UnsafePointerView(at).getInt32();
  const text = c.strerror(errno);
  const reason = text === null ? `errno ${errno}` : Deno.UnsafePointerView.getCString(text);
  return new RingOsError(call, errno, reason);
}

function denoReason(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (error instanceof Deno.errors.NotFound) return "No such file or directory";
  if (error instanceof Deno.errors.IsADirectory) return "Is a directory";
  return error instanceof Error ? error.message : String(error);
}

class DenoRingMapping implements RingMapping {
  #pointer: Deno.PointerObject | null;
  readonly buffer: ArrayBuffer;
  constructor(pointer: Deno.PointerObject, readonly size: number) {
    this.#pointer = pointer;
    this.buffer = Deno.UnsafePointerView.getArrayBuffer(pointer, size);
  }
  close(): void {
    if (this.#pointer === null) return;
    lib().munmap(this.#pointer, BigInt(this.size));
    this.#pointer = null;
  }
}

export const ringMemory: RingMemory = {
  statRingFile(path: string): RingFileInfo {
    try {
      const info = Deno.statSync(path);
      if (info.isDirectory) return { kind: "directory", size: 0 };
      if (!info.isFile) return { kind: "other", size: 0 };
      return { kind: "file", size: info.size };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { kind: "missing", size: 0 };
      throw error;
    }
  },

  createRingFile(path: string, size: number, mode: number): void {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true, write: true, create: true, truncate: true, mode });
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/:.*$/, "") : String(error);
      throw new RingOsError("open", 0, reason);
    }
    try {
      file.truncateSync(size);
    } finally {
      file.close();
    }
  },

  mapRingFile(path: string, size: number, options: MapOptions): RingMapping {
    // errno cannot be read reliably after an FFI call (the runtime may make
    // system calls in between), so let Deno open the file first: its errors
    // name the cause (no permission, not found) exactly.
    try {
      Deno.openSync(path, { read: true, write: options.writable }).close();
    } catch (error) {
      throw new RingOsError("open", 0, denoReason(error));
    }
    const c = lib();
    // The scratch follows the file directly only when the file ends on a page.
    const scratch = size % PAGE === 0 ? Math.ceil((options.scratchBytes ?? 0) / PAGE) * PAGE : 0;
    // With a scratch: reserve file + scratch as private memory, then map the
    // file over the reservation's start (MAP_FIXED); one munmap frees both.
    let base: Deno.PointerObject | null = null;
    if (scratch > 0) {
      base = c.mmap(
        null,
        BigInt(size + scratch),
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0n,
      );
      if (base === null || Deno.UnsafePointer.value(base) === MAP_FAILED) throw osError("mmap");
    }
    const fd = c.open(cString(path), (options.writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
    const pointer = fd < 0 ? null : c.mmap(
      base,
      BigInt(size),
      options.writable ? PROT_READ | PROT_WRITE : PROT_READ,
      base === null ? MAP_SHARED : MAP_SHARED | MAP_FIXED,
      fd,
      0n,
    );
    const failed = pointer === null || Deno.UnsafePointer.value(pointer) === MAP_FAILED;
    const error = fd < 0 ? osError("open") : failed ? osError("mmap") : undefined;
    if (fd >= 0) c.close(fd); // the mapping keeps the file referenced
    if (error !== undefined || pointer === null) {
      if (base !== null) c.munmap(base, BigInt(size + scratch));
      throw error ?? new RingOsError("mmap", 0, "null");
    }
    return new DenoRingMapping(pointer, size + scratch);
  },

  pinToCpu(cpu: number): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= CPU_SET_BYTES * 8) {
      throw new RingOsError("sched_setaffinity", 22, `CPU ${cpu} out of range`);
    }
    // Check against the CPUs we may use first: errno is unreliable after FFI calls.
    const allowed = new Uint8Array(CPU_SET_BYTES);
    if (lib().sched_getaffinity(0, BigInt(CPU_SET_BYTES), allowed) === 0) {
      const cpus = [...Array(CPU_SET_BYTES * 8).keys()].filter((n) =>
        (allowed[n >> 3]! >> (n & 7)) & 1
      );
      if (!cpus.includes(cpu)) {
        throw new RingOsError(
          "sched_setaffinity",
          22,
          `not available to this process (allowed: ${cpus.join(", ")})`,
        );
      }
    }
    const mask = new Uint8Array(CPU_SET_BYTES);
    mask[cpu >> 3] = 1 << (cpu & 7);
    if (lib().sched_setaffinity(0, BigInt(CPU_SET_BYTES), mask) !== 0) {
      throw osError("sched_setaffinity");
    }
  },

  yieldCpu(): void {
    lib().sched_yield();
  },
};

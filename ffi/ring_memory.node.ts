/**
 * RingMemory on Node (the npm package): libc through koffi, the Node twin
 * of ring_memory.deno.ts that the npm build swaps in. koffi's prebuilt
 * addon is loaded on first use, never at import, so commands that never map
 * a ring do not load native code. The mapping is exposed with koffi.view:
 * an ArrayBuffer over the shared pages, no copy.
 */
import { createRequire } from "node:module";
import { closeSync, ftruncateSync, openSync, statSync } from "node:fs";
import type * as Koffi from "koffi";
import {
  type MapOptions,
  type RingFileInfo,
  type RingMapping,
  type RingMemory,
  RingOsError,
} from "./ring_memory.ts";

type Pointer = unknown;

interface Libc {
  /** int open(const char *path, int flags, uint32_t mode) */
  open(path: string, flags: number, mode: number): number;
  /** int close(int fd) */
  close(fd: number): number;
  /** void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) */
  mmap(
    addr: null,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
  ): Pointer;
  /** int munmap(void *addr, size_t length) */
  munmap(addr: Pointer, length: number): number;
  /** int sched_setaffinity(int pid, size_t cpusetsize, const uint8_t *mask) */
  sched_setaffinity(pid: number, size: number, mask: Uint8Array): number;
  /** int sched_yield(void) */
  sched_yield(): number;
  /** const char *strerror(int errnum) */
  strerror(errno: number): string;
}

let koffi: typeof Koffi | undefined;
let libc: Libc | undefined;

function lib(): { koffi: typeof Koffi; libc: Libc } {
  if (koffi === undefined || libc === undefined) {
    const k = createRequire(import.meta.url)("koffi") as typeof Koffi;
    const l = k.load("libc.so.6");
    libc = {
      open: l.func("int open(const char *path, int flags, uint32_t mode)"),
      close: l.func("int close(int fd)"),
      mmap: l.func(
        "void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)",
      ),
      munmap: l.func("int munmap(void *addr, size_t length)"),
      sched_setaffinity: l.func(
        "int sched_setaffinity(int pid, size_t cpusetsize, const uint8_t *mask)",
      ),
      sched_yield: l.func("int sched_yield(void)"),
      strerror: l.func("const char *strerror(int errnum)"),
    } as Libc;
    koffi = k;
  }
  return { koffi, libc };
}

const O_RDONLY = 0;
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_FAILED = 0xffffffffffffffffn;
const CPU_SET_BYTES = 128; // sizeof(cpu_set_t): 1024 CPUs

function osError(call: string): RingOsError {
  const { koffi, libc } = lib();
  const errno = koffi.errno();
  return new RingOsError(call, errno, libc.strerror(errno) ?? `errno ${errno}`);
}

/** A node:fs error with the reason worded as the Deno twin words it ("No such file or directory (os error 2)"). */
function fsError(call: string, error: unknown): RingOsError {
  const e = error as { errno?: number; message?: string };
  const errno = Math.abs(e.errno ?? 0);
  const text = (e.message ?? String(error)).replace(/^[A-Z0-9_]+: /, "").replace(
    /, [a-z]+ '.*'$/,
    "",
  );
  return new RingOsError(
    call,
    errno,
    `${text.charAt(0).toUpperCase()}${text.slice(1)} (os error ${errno})`,
  );
}

class NodeRingMapping implements RingMapping {
  #pointer: Pointer | null;
  readonly buffer: ArrayBuffer;
  constructor(pointer: Pointer, readonly size: number) {
    this.#pointer = pointer;
    this.buffer = lib().koffi.view(pointer, size);
  }
  close(): void {
    if (this.#pointer === null) return;
    lib().libc.munmap(this.#pointer, this.size);
    this.#pointer = null;
  }
}

export const ringMemory: RingMemory = {
  statRingFile(path: string): RingFileInfo {
    try {
      const info = statSync(path);
      if (info.isDirectory()) return { kind: "directory", size: 0 };
      if (!info.isFile()) return { kind: "other", size: 0 };
      return { kind: "file", size: info.size };
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return { kind: "missing", size: 0 };
      throw error;
    }
  },

  createRingFile(path: string, size: number, mode: number): void {
    let fd: number;
    try {
      fd = openSync(path, "w+", mode);
    } catch (error) {
      throw fsError("open", error);
    }
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
  },

  // No scratch on Node (MapOptions.scratchBytes is ignored): the producer copies with `set` there.
  mapRingFile(path: string, size: number, options: MapOptions): RingMapping {
    const { koffi, libc } = lib();
    const fd = libc.open(path, (options.writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
    if (fd < 0) throw osError("open");
    const prot = options.writable ? PROT_READ | PROT_WRITE : PROT_READ;
    const pointer = libc.mmap(null, size, prot, MAP_SHARED, fd, 0);
    const failed = pointer === null || koffi.address(pointer) === MAP_FAILED;
    const error = failed ? osError("mmap") : undefined;
    libc.close(fd); // the mapping keeps the file referenced
    if (error !== undefined) throw error;
    return new NodeRingMapping(pointer, size);
  },

  pinToCpu(cpu: number): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= CPU_SET_BYTES * 8) {
      throw new RingOsError("sched_setaffinity", 22, `CPU ${cpu} out of range`);
    }
    const mask = new Uint8Array(CPU_SET_BYTES);
    mask[cpu >> 3] = 1 << (cpu & 7);
    if (lib().libc.sched_setaffinity(0, CPU_SET_BYTES, mask) !== 0) {
      throw osError("sched_setaffinity");
    }
  },

  yieldCpu(): void {
    lib().libc.sched_yield();
  },
};

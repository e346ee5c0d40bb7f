/**
 * libc on Deno: the one Deno.dlopen of fmagent, every function declared once
 * with its C types. ring_memory.deno.ts (the ring's mapping) and
 * vector_io.deno.ts (the consumer's writev) call through it.
 */
const LIBC_SYMBOLS = {
  /** int open(const char *path, int flags, mode_t mode) */
  open: {
    parameters: ["buffer", /* const char* */ "i32", /* int */ "u32" /* mode_t */],
    result: "i32",
  },
  /** int close(int fd) */
  close: { parameters: ["i32" /* int */], result: "i32" },
  /** void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) */
  mmap: {
    parameters: [
      "pointer", /* void* */
      "usize", /* size_t */
      "i32", /* int prot */
      "i32", /* int flags */
      "i32", /* int fd */
      "i64", /* off_t */
    ],
    result: "pointer",
  },
  /** int munmap(void *addr, size_t length) */
  munmap: { parameters: ["pointer", /* void* */ "usize" /* size_t */], result: "i32" },
  /** int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask) */
  sched_setaffinity: {
    parameters: ["i32", /* pid_t */ "usize", /* size_t */ "buffer" /* const cpu_set_t* */],
    result: "i32",
  },
  /** int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask) */
  sched_getaffinity: {
    parameters: ["i32", /* pid_t */ "usize", /* size_t */ "buffer" /* cpu_set_t* */],
    result: "i32",
  },
  /** int sched_yield(void) */
  sched_yield: { parameters: [], result: "i32" },
  /** int *__errno_location(void) */
  __errno_location: { parameters: [], result: "pointer" },
  /** char *strerror(int errnum) */
  strerror: { parameters: ["i32" /* int */], result: "pointer" },
  /** ssize_t writev(int fd, const struct iovec *iov, int iovcnt) */
  writev: {
    parameters: ["i32", /* int */ "buffer", /* const struct iovec* */ "i32"],
    result: "isize",
  },
  /** int poll(struct pollfd *fds, nfds_t nfds, int timeout) */
  poll: { parameters: ["buffer", /* struct pollfd* */ "u64", /* nfds_t */ "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

let libc: Libc | undefined;

/** libc, opened on first use (never at import: commands that need no FFI need no --allow-ffi). */
export function lib(): Libc {
  libc ??= Deno.dlopen("libc.so.6", LIBC_SYMBOLS).symbols;
  return libc;
}

/** `path` as a NUL-terminated C string. */
export function cString(path: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${path}\0`);
}

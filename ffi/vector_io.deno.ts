/** VectorIo on Deno: writev and the calls around it, from libc (libc.deno.ts). */
import { cString, lib } from "./libc.deno.ts";
import type { VectorIo } from "./vector_io.ts";

const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
const POLLOUT = 4;

/**
 * errno of the call just made: read at once, before any other JavaScript
 * could make a system call of its own.
 */
function negativeErrno(): number {
  const at = lib().__errno_location();
  return at === null ? -1 : -new Deno.UnsafePointerView(at).getInt32();
}

function pointerNumber(pointer: Deno.PointerValue): number {
  return pointer === null ? 0 : Number(Deno.UnsafePointer.value(pointer));
}

// A pollfd: int fd, short events, short revents.
const pollFd = new Int32Array(2);

export const vectorIo: VectorIo | undefined = {
  addressOf(buffer: ArrayBuffer): number {
    return pointerNumber(Deno.UnsafePointer.of(buffer));
  },

  newStableBuffer(size: number): ArrayBuffer {
    // V8 keeps the bytes of an ArrayBuffer this large outside its heap, where
    // they never move; the check makes the assumption explicit.
    const buffer = new ArrayBuffer(Math.max(size, 4096));
    const address = this.addressOf(buffer);
    if (address === 0 || this.addressOf(buffer) !== address) {
      throw new Error("cannot pin a buffer's address");
    }
    return buffer;
  },

  writev(fd: number, iov: Uint32Array, count: number): number {
    const done = Number(lib().writev(fd, iov, count));
    return done < 0 ? negativeErrno() : done;
  },

  waitWritable(fd: number, timeoutMs: number): void {
    pollFd[0] = fd;
    pollFd[1] = POLLOUT;
    lib().poll(pollFd, 1n, timeoutMs);
  },

  openWrite(path: string): number {
    const fd = lib().open(cString(path), O_WRONLY | O_CLOEXEC, 0);
    return fd < 0 ? negativeErrno() : fd;
  },

  close(fd: number): void {
    lib().close(fd);
  },
};

/**
 * The runtime-neutral interface to vectored output (writev): it lets the
 * consumer hand packet bytes from the ring's slots to a file or pipe with the
 * kernel doing the copy, one system call for hundreds of packets, instead of
 * copying them in JavaScript first. Optional: a runtime without it (the npm
 * build on Node) takes the JavaScript copy path.
 */

/**
 * An iovec list in a Uint32Array: four words per entry, the 64-bit address
 * as low and high halves, then the 64-bit length as low and high halves
 * (struct iovec on 64-bit little-endian Linux).
 */
export const IOVEC_WORDS = 4;
/** Linux's IOV_MAX: the most entries one readv/writev call takes. */
export const IOV_MAX = 1024;

export interface VectorIo {
  /**
   * The address of an ArrayBuffer's first byte. The buffer's bytes must not
   * move: true for mapped memory and for buffers made with `newStableBuffer`.
   */
  addressOf(buffer: ArrayBuffer): number;
  /** An ArrayBuffer whose bytes stay at one address for its lifetime (outside the JS heap). */
  newStableBuffer(size: number): ArrayBuffer;
  /** writev(2): bytes written, or -errno. */
  writev(fd: number, iov: Uint32Array, count: number): number;
  /** Waits until `fd` can be written (poll POLLOUT) or `timeoutMs` passed. */
  waitWritable(fd: number, timeoutMs: number): void;
  /** open(2) write-only on an existing file, close-on-exec: the descriptor, or -errno. */
  openWrite(path: string): number;
  close(fd: number): void;
}

const TWO_32 = 4294967296;

/** Fills iovec `entry` of `iov` with an address (below 2^53) and a length. */
export function setIovec(iov: Uint32Array, entry: number, address: number, length: number): void {
  const w = entry * IOVEC_WORDS;
  const low = address >>> 0;
  iov[w] = low;
  iov[w + 1] = (address - low) / TWO_32;
  iov[w + 2] = length;
  iov[w + 3] = 0;
}

/** The address iovec `entry` of `iov` holds. */
export function iovecAddress(iov: Uint32Array, entry: number): number {
  const w = entry * IOVEC_WORDS;
  return iov[w]! + iov[w + 1]! * TWO_32;
}

/** The length iovec `entry` of `iov` holds (below 2^32 in fmagent's lists). */
export function iovecLength(iov: Uint32Array, entry: number): number {
  return iov[entry * IOVEC_WORDS + 2]!;
}

/**
 * After a call moved `done` bytes of the list from entry `first` on: the
 * first entry not finished, shortened to what is left of it.
 */
export function skipDone(iov: Uint32Array, first: number, count: number, done: number): number {
  while (first < count && done >= iovecLength(iov, first)) {
    done -= iovecLength(iov, first);
    first++;
  }
  if (done > 0) {
    setIovec(iov, first, iovecAddress(iov, first) + done, iovecLength(iov, first) - done);
  }
  return first;
}

export const EINTR = 4;
export const EAGAIN = 11;
export const EPIPE = 32;

import type { ByteReader } from "../cli/io.ts";

/** A ByteReader serving bytes already in memory (embedded captures, tests). */
export function bytesReader(data: Uint8Array): ByteReader {
  let at = 0;
  return {
    read(into: Uint8Array): Promise<number | null> {
      if (at >= data.length) return Promise.resolve(null);
      const n = Math.min(into.length, data.length - at);
      into.set(data.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

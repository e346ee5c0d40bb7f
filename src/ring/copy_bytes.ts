/**
 * Copies packet bytes between two buffers without allocating: short packets
 * eight bytes a step through DataViews (unaligned reads are fine there),
 * long ones with one typed-array `set`, which beats the loop from ~128 bytes
 * but costs a subarray object per call. The hot loops inline a faster variant
 * when one side is word-aligned (the ring's slots are); this is the general case.
 */

/** Packets up to this length are copied by the word loop. */
export const WORD_COPY_MAX = 128;

export function copyBytes(
  src: Uint8Array,
  srcView: DataView,
  from: number,
  dst: Uint8Array,
  dstView: DataView,
  to: number,
  length: number,
): void {
  if (length > WORD_COPY_MAX) {
    dst.set(src.subarray(from, from + length), to);
    return;
  }
  let i = 0;
  const words = length & ~7;
  for (; i < words; i += 8) {
    dstView.setUint32(to + i, srcView.getUint32(from + i, true), true);
    dstView.setUint32(to + i + 4, srcView.getUint32(from + i + 4, true), true);
  }
  for (; i < length; i++) dst[to + i] = src[from + i]!;
}

/** A DataView over exactly the bytes of `bytes` (indexes match). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

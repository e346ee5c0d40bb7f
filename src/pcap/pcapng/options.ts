/**
 * pcapng options: a list of (u16 code, u16 length, value padded to 4) ending
 * with code 0 or the end of the block.
 */

/** Calls `visit(code, valueOffset, length)` for each option in `[at, end)`. */
export function forEachOption(
  view: DataView,
  at: number,
  end: number,
  littleEndian: boolean,
  visit: (code: number, valueAt: number, length: number) => void,
): void {
  while (end - at >= 4) {
    const code = view.getUint16(at, littleEndian);
    const length = view.getUint16(at + 2, littleEndian);
    if (code === 0) return;
    const valueAt = at + 4;
    if (valueAt + length > end) return; // a malformed option list ends it, as libpcap tolerates
    visit(code, valueAt, length);
    at = valueAt + ((length + 3) & ~3);
  }
}

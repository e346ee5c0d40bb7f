import { BYTE_ORDER_MAGIC } from "./block.ts";

/**
 * Section Header Block: its byte-order magic (at body offset 0, i.e. block
 * offset 8) sets the byte order of every block in the section.
 * Returns the byte order, or undefined when the magic is neither order.
 */
export function sectionByteOrder(view: DataView, blockAt: number): boolean | undefined {
  if (view.getUint32(blockAt + 8, true) === BYTE_ORDER_MAGIC) return true;
  if (view.getUint32(blockAt + 8, false) === BYTE_ORDER_MAGIC) return false;
  return undefined;
}

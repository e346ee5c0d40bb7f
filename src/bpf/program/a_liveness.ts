/**
 * Whether A's value can still be read after each instruction of a
 * forward-only flow graph: a backward pass, since every successor has a
 * larger index. The optimiser may change A where it is dead.
 */
import { type FlowNode, isConditional, isJumpAlways, isReturn } from "./flow_graph.ts";

/** Instructions that read A (ALU, tests, st, tax, ret a). */
export function readsA(code: number): boolean {
  const cls = code & 0x07;
  if (cls === 0x04) return true; // ALU, neg
  if (isConditional(code)) return true;
  return code === 0x02 || code === 0x07 || code === 0x16;
}

/** Instructions that set A without reading it (every load into A, txa). */
export function writesA(code: number): boolean {
  return (code & 0x07) === 0x00 || code === 0x87;
}

/** `live[i]` is 1 when A on entry to node i may be read later. */
export function liveA(nodes: readonly FlowNode[]): Uint8Array {
  const live = new Uint8Array(nodes.length);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.removed && !isJumpAlways(node.code)) {
      if (readsA(node.code)) {
        live[i] = 1;
        continue;
      }
      if (writesA(node.code)) continue;
    }
    let out = 0;
    if (!isReturn(node.code)) {
      if (node.onTrue < nodes.length) out |= live[node.onTrue]!;
      if (node.onFalse !== node.onTrue && node.onFalse < nodes.length) out |= live[node.onFalse]!;
    }
    live[i] = out;
  }
  return live;
}

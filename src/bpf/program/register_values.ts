/**
 * What A and X hold at each instruction of a flow graph, as symbolic values:
 * "#k" a constant, "code@k" a packet field as that absolute load reads it,
 * "len" the wire length, "msh@k" 4*([k]&0xf), "?" unknown. Packet fields,
 * constants and the length never change while a packet is filtered, so two
 * equal values are the same number at run time.
 */
import { type FlowNode, nodeSuccessors } from "./flow_graph.ts";

/** What a register holds: "#k" constant, "code@k" packet load, "len", "msh@k"; "?" unknown. */
export type Value = string;
export const UNKNOWN: Value = "?";

export interface RegisterState {
  readonly a: Value;
  readonly x: Value;
}

/** Register contents at the entry of each node reached from the start (undefined: not reached). */
export function registerStates(nodes: readonly FlowNode[]): (RegisterState | undefined)[] {
  const states: (RegisterState | undefined)[] = new Array(nodes.length).fill(undefined);
  states[0] = { a: "#0", x: "#0" };
  for (let i = 0; i < nodes.length; i++) {
    const input = states[i];
    if (input === undefined) continue;
    const output = transfer(nodes[i]!, input);
    for (const next of nodeSuccessors(nodes, i)) {
      const seen = states[next];
      // States are shared and never changed in place.
      if (seen === undefined) states[next] = output;
      else if (seen.a !== output.a || seen.x !== output.x) {
        states[next] = {
          a: seen.a === output.a ? seen.a : UNKNOWN,
          x: seen.x === output.x ? seen.x : UNKNOWN,
        };
      }
    }
  }
  return states;
}

/** Interned value names, so the analyses compare and hash short shared strings. */
const names = new Map<number, string>();

/** The value a packet load `code k` reads ("40@12" for ldh [12]; 0xb1 for 4*([k]&0xf)). */
function fieldValue(code: number, k: number): Value {
  const key = code * 0x100000000 + k;
  let name = names.get(key);
  if (name === undefined) {
    name = code === 0xb1 ? `msh@${k}` : `${code}@${k}`;
    if (names.size < 65536) names.set(key, name);
  }
  return name;
}

function constantValue(k: number): Value {
  return `#${k}`;
}

export const constantOf = (v: Value): number | undefined =>
  v.startsWith("#") ? Number(v.slice(1)) : undefined;

export function transfer(node: FlowNode, state: RegisterState): RegisterState {
  if (node.removed) return state;
  const { a, x } = state;
  const { code, k } = node;
  switch (code) {
    case 0x20:
    case 0x28:
    case 0x30:
      return { a: fieldValue(code, k), x };
    case 0x80:
      return { a: "len", x };
    case 0x81:
      return { a, x: "len" };
    case 0xb1:
      return { a, x: fieldValue(code, k) };
    case 0x00:
      return { a: constantValue(k), x };
    case 0x01:
      return { a, x: constantValue(k) };
    case 0x07:
      return { a, x: a };
    case 0x87:
      return { a: x, x };
    case 0x61:
      return { a, x: UNKNOWN };
  }
  const cls = code & 0x07;
  if (cls === 0x04) {
    const folded = foldAlu(code, constantOf(a), (code & 0x08) !== 0 ? constantOf(x) : k);
    return { a: folded === undefined ? UNKNOWN : constantValue(folded), x };
  }
  if (cls === 0x00) return { a: UNKNOWN, x }; // ld [x + k], ld M[k]
  return state; // stores, jumps, returns
}

/** A op b on u32 when both are known and the operation cannot reject. */
function foldAlu(code: number, a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return undefined;
  if (code === 0x84) return -a >>> 0;
  if (b === undefined) return undefined;
  const byX = (code & 0x08) !== 0;
  switch (code & 0xf0) {
    case 0x00:
      return (a + b) >>> 0;
    case 0x10:
      return (a - b) >>> 0;
    case 0x20:
      return Math.imul(a, b) >>> 0;
    case 0x30:
      return b === 0 ? undefined : (a / b) >>> 0;
    case 0x90:
      return b === 0 ? undefined : a % b;
    case 0x50:
      return (a & b) >>> 0;
    case 0x40:
      return (a | b) >>> 0;
    case 0xa0:
      return (a ^ b) >>> 0;
    case 0x60:
      return byX ? (b < 32 ? (a << b) >>> 0 : 0) : (a << b) >>> 0;
    case 0x70:
      return byX ? (b < 32 ? a >>> b : 0) : a >>> b;
  }
  return undefined;
}

/** The value an instruction loads into A when it depends only on the packet (or nothing). */
export function loadedValue(node: FlowNode): Value | undefined {
  switch (node.code) {
    case 0x20:
    case 0x28:
    case 0x30:
      return fieldValue(node.code, node.k);
    case 0x00:
      return constantValue(node.k);
    case 0x80:
      return "len";
  }
  return undefined;
}

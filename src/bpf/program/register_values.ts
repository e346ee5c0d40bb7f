/**
 * What A and X hold at each instruction of a flow graph, as symbolic values:
 * a constant, a packet field as an absolute load reads it, the wire length,
 * 4*([k]&0xf), or unknown. Packet fields, constants and the length never
 * change while a packet is filtered, so two equal values are the same number
 * at run time.
 */
import { type FlowNode, isReturn } from "./flow_graph.ts";

/**
 * What a register holds, as one number (compared and looked up without
 * building strings, which V8 makes slowly in a process's first compile):
 * a constant k is k itself (0 .. 2^32-1); the packet field that load `code k`
 * reads is (code + 1) * 2^32 + k (`ldx 4*([k]&0xf)` has code 0xb1); the
 * length and unknown are negative.
 */
export type Value = number;
export const UNKNOWN: Value = -1;
export const LENGTH: Value = -2;

const TWO_32 = 0x100000000;

export interface RegisterState {
  readonly a: Value;
  readonly x: Value;
}

/** Register contents at the entry of each node reached from the start (undefined: not reached). */
export function registerStates(nodes: readonly FlowNode[]): (RegisterState | undefined)[] {
  const states: (RegisterState | undefined)[] = new Array(nodes.length).fill(undefined);
  states[0] = { a: 0, x: 0 };
  for (let i = 0; i < nodes.length; i++) {
    const input = states[i];
    if (input === undefined) continue;
    const node = nodes[i]!;
    if (isReturn(node.code)) continue;
    const output = transfer(node, input);
    // Successors visited directly (no array of them): fewer objects in a first compile.
    meet(states, node.onTrue, output);
    if (node.onFalse !== node.onTrue) meet(states, node.onFalse, output);
  }
  return states;
}

/** Merges `output` into the entry state of `next` (states are shared: never changed in place). */
function meet(states: (RegisterState | undefined)[], next: number, output: RegisterState): void {
  const seen = states[next];
  if (seen === undefined) states[next] = output;
  else if (seen.a !== output.a || seen.x !== output.x) {
    states[next] = {
      a: seen.a === output.a ? seen.a : UNKNOWN,
      x: seen.x === output.x ? seen.x : UNKNOWN,
    };
  }
}

/** The value a packet load `code k` reads (ldh [12], or 0xb1 for 4*([k]&0xf)). */
const fieldValue = (code: number, k: number): Value => (code + 1) * TWO_32 + k;

export const constantOf = (v: Value): number | undefined => v >= 0 && v < TWO_32 ? v : undefined;

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
      return { a: LENGTH, x };
    case 0x81:
      return { a, x: LENGTH };
    case 0xb1:
      return { a, x: fieldValue(code, k) };
    case 0x00:
      return { a: k, x };
    case 0x01:
      return { a, x: k };
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
    return { a: folded === undefined ? UNKNOWN : folded, x };
  }
  if (cls === 0x00) return { a: UNKNOWN, x }; // ld [x + k], ld M[k]
  return state; // stores, jumps, returns
}

/**
 * A op b on u32 for the ALU instruction `code`, as the interpreter computes it
 * (a shift by X of 32 or more gives 0, a constant shift uses its low 5 bits);
 * undefined when an operand is unknown or the operation would reject (division
 * or modulus by 0).
 */
export function foldAlu(
  code: number,
  a: number | undefined,
  b: number | undefined,
): number | undefined {
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
      return node.k;
    case 0x80:
      return LENGTH;
  }
  return undefined;
}

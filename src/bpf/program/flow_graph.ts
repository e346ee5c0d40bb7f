/**
 * A program with absolute jump targets, which the optimiser rewrites: every
 * node knows where it continues (`onTrue`/`onFalse` for conditional jumps,
 * `onTrue` for `ja`, the next index for everything else). `linearize` turns
 * it back into raw instructions, dropping removed nodes and recomputing the
 * relative offsets.
 */
import type { RawInstruction, RawProgram } from "./raw_instruction.ts";
import { BPF_JA, BPF_JMP, BPF_RET } from "./opcodes.ts";

export interface FlowNode {
  code: number;
  k: number;
  /** Absolute target when the test holds (or of `ja`); next index otherwise. */
  onTrue: number;
  /** Absolute target when the test fails; equal to `onTrue` for non-conditionals. */
  onFalse: number;
  /** Removed nodes fall through to the next kept node; they must not be jumps or returns. */
  removed: boolean;
}

// Bit tests without further calls: the optimiser asks these of every node many times.
export const isReturn = (code: number): boolean => (code & 0x07) === BPF_RET;
export const isJumpAlways = (code: number): boolean => code === (BPF_JMP | BPF_JA);
export const isConditional = (code: number): boolean =>
  (code & 0x07) === BPF_JMP && code !== (BPF_JMP | BPF_JA);

export function toFlowGraph(program: RawProgram): FlowNode[] {
  return program.map((insn, i) => {
    if (isJumpAlways(insn.code)) {
      const to = i + 1 + (insn.k | 0);
      return { code: insn.code, k: 0, onTrue: to, onFalse: to, removed: false };
    }
    if (isConditional(insn.code)) {
      return {
        code: insn.code,
        k: insn.k,
        onTrue: i + 1 + insn.jt,
        onFalse: i + 1 + insn.jf,
        removed: false,
      };
    }
    return { code: insn.code, k: insn.k, onTrue: i + 1, onFalse: i + 1, removed: false };
  });
}

/** Marks nodes no path from the entry reaches as removed. */
export function removeUnreachable(nodes: FlowNode[]): boolean {
  const seen = new Uint8Array(nodes.length);
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen[i]) continue;
    seen[i] = 1;
    const node = nodes[i]!;
    if (isReturn(node.code)) continue;
    stack.push(node.onTrue);
    if (node.onFalse !== node.onTrue) stack.push(node.onFalse);
  }
  let changed = false;
  nodes.forEach((node, i) => {
    if (!seen[i] && !node.removed) {
      node.removed = true;
      changed = true;
    }
  });
  return changed;
}

/**
 * The raw program for `nodes` without the removed ones. A jump to a removed
 * node lands on the next kept one (removed nodes only ever fall through).
 * Throws if a conditional jump would need an offset over 255, which the
 * optimiser prevents by never lengthening a conditional jump past that.
 */
export function linearize(nodes: readonly FlowNode[]): RawInstruction[] {
  const newIndex = new Int32Array(nodes.length + 1);
  let kept = 0;
  for (let i = 0; i < nodes.length; i++) {
    newIndex[i] = kept;
    if (!nodes[i]!.removed) kept++;
  }
  newIndex[nodes.length] = kept;
  const out: RawInstruction[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.removed) continue;
    const at = newIndex[i]!;
    if (isJumpAlways(node.code)) {
      out.push({ code: node.code, jt: 0, jf: 0, k: (newIndex[node.onTrue]! - at - 1) >>> 0 });
    } else if (isConditional(node.code)) {
      const jt = newIndex[node.onTrue]! - at - 1;
      const jf = newIndex[node.onFalse]! - at - 1;
      if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
        throw new RangeError(`Cannot linearize instruction ${i}: offsets ${jt}/${jf}`);
      }
      out.push({ code: node.code, jt, jf, k: node.k });
    } else {
      out.push({ code: node.code, jt: 0, jf: 0, k: node.k });
    }
  }
  return out;
}

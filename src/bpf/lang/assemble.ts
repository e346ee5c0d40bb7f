/**
 * Lays a condition graph out as a classic BPF program: blocks in an order
 * where every jump goes forward, branch offsets resolved, `ja` trampolines
 * where a conditional branch would exceed 255 instructions, and the two
 * returns at the end: the snapshot length on accept, 0 on reject (as libpcap).
 */
import type { RawInstruction, RawProgram } from "../program/raw_instruction.ts";
import { BPF_JA, BPF_JMP, BPF_K, BPF_RET } from "../program/opcodes.ts";
import type { Block, Target } from "./lower/blocks.ts";

/** Blocks reachable from `root`, each before all its successors (reverse post-order). */
function layout(root: Block): Block[] {
  const order: Block[] = [];
  const state = new Map<Block, "open" | "done">();
  // Iterative DFS: the graphs of long expressions are deep.
  const stack: Array<{ block: Block; next: number }> = [{ block: root, next: 0 }];
  state.set(root, "open");
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    // Visit the false side first so the true side tends to follow its block directly.
    const succ = top.next === 0 ? top.block.jf : top.next === 1 ? top.block.jt : undefined;
    if (top.next >= 2) {
      stack.pop();
      state.set(top.block, "done");
      order.push(top.block);
      continue;
    }
    top.next++;
    if (typeof succ === "object" && !state.has(succ)) {
      state.set(succ, "open");
      stack.push({ block: succ, next: 0 });
    }
  }
  return order.reverse();
}

/** Assembles the graph entered at `root` (undefined: accept everything). */
export function assemble(root: Block | undefined, snaplen: number): RawProgram {
  const accept: RawInstruction = { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: snaplen >>> 0 };
  const reject: RawInstruction = { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 };
  if (root === undefined) return [accept];
  const blocks = layout(root);
  // Which branches need a trampoline; grows until every offset fits in 8 bits.
  const farTrue = new Set<Block>();
  const farFalse = new Set<Block>();
  for (;;) {
    const start = new Map<Block, number>();
    let pc = 0;
    for (const b of blocks) {
      start.set(b, pc);
      pc += b.stmts.length + 1 + (farTrue.has(b) ? 1 : 0) + (farFalse.has(b) ? 1 : 0);
    }
    const acceptPc = pc;
    const rejectPc = pc + 1;
    const where = (t: Target | undefined): number =>
      t === "accept" || t === undefined ? acceptPc : t === "reject" ? rejectPc : start.get(t)!;
    let grew = false;
    const out: RawInstruction[] = [];
    for (const b of blocks) {
      out.push(...b.stmts);
      const jumpPc = out.length;
      // Decisions made in this pass; a branch found too far is fixed in the next pass.
      const nearTrue = !farTrue.has(b);
      const nearFalse = !farFalse.has(b);
      const t = where(b.jt);
      const f = where(b.jf);
      let jt = nearTrue ? t - (jumpPc + 1) : 0;
      let jf = nearFalse ? f - (jumpPc + 1) : nearTrue ? 0 : 1;
      if (nearTrue && jt > 255) {
        farTrue.add(b);
        grew = true;
        jt = 0;
      }
      if (nearFalse && jf > 255) {
        farFalse.add(b);
        grew = true;
        jf = 0;
      }
      out.push({ code: b.code, jt, jf, k: b.k });
      if (!nearTrue) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: t - (out.length + 1) });
      if (!nearFalse) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: f - (out.length + 1) });
    }
    if (grew) continue;
    out.push(accept, reject);
    return out;
  }
}

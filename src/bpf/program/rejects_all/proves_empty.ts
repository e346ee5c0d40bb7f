/**
 * Whether libpcap's optimiser reduces a program to a lone `ret #0`, which
 * makes pcap_compile (and so tcpdump) refuse the filter with "expression
 * rejects all packets". fmagent's own optimiser proves other things, so
 * this emulates libpcap's (optimize.c, libpcap 1.10) on gencode's program:
 * the same passes in the same order over the same block graph, keeping only
 * what decides where the branches go. Its facts: value numbers (the same
 * load, arithmetic or constant is the same value, constants folded), and
 * along edges that dominate a branch, the outcome of the same test on the
 * same value, or after `jeq #k` was true, that any other `jeq` constant is
 * false. Nothing about ranges or bit masks.
 */
import type { RawProgram } from "../raw_instruction.ts";
import { hasBackwardJump } from "../validate.ts";
import { BPF_JA, BPF_JMP, BPF_K, BPF_RET, bpfClass } from "../opcodes.ts";
import { type Block, type BlockGraph, jf, jt, NOP, toBlockGraph } from "./blocks.ts";
import {
  findDominators,
  findEdgeDominators,
  findInEdges,
  findLevels,
  findUseDef,
} from "./flow_sets.ts";
import { optimizeBlock } from "./block_pass.ts";
import {
  BudgetExceeded,
  OptimizerError,
  type PassState,
  spend,
  type WorkBudget,
} from "./pass_state.ts";
import { optimizeBranches } from "./edge_pass.ts";
import { newValueTable } from "./value_numbers.ts";

/**
 * Work allowed for one analysis: words of bit sets visited and dominating
 * edges tried. What grows fastest is optimize.c's recomputing every block's
 * dominators after each pull-up. The budget covers filters of a few hundred
 * blocks (12 `port`s or 20 `host`s or-ed together, any conjunction of a
 * dozen primitives) at under 10 ms warm; beyond it fmagent does not refuse,
 * so a huge filter libpcap would prove empty is compiled (it matches nothing).
 */
const WORK_BUDGET = 2_000_000;
/** optimize.c's loop detection: this many passes in a row of nothing but branch moves end a loop. */
const MAX_BRANCH_ONLY_PASSES = 100;

export type LibpcapVerdict =
  /** libpcap keeps a program that can accept something. */
  | { readonly kind: "accepts" }
  /** Reduced to `ret #0`: "expression rejects all packets". */
  | { readonly kind: "rejects all" }
  /** The optimiser itself failed ("division by zero", ...). */
  | { readonly kind: "error"; readonly message: string }
  /** Not decided: the program is beyond the work budget (fmagent then accepts it). */
  | { readonly kind: "too large" };

/**
 * What libpcap's optimiser makes of `program`, gencode's program for a
 * filter (fmagent's `exactGencode` lowering). Programs with backward jumps
 * (which libpcap never optimises) count as accepted. `workBudget` bounds the
 * work (see WORK_BUDGET).
 */
export function libpcapVerdict(program: RawProgram, workBudget = WORK_BUDGET): LibpcapVerdict {
  if (hasBackwardJump(program)) return { kind: "accepts" };
  // Every block ends in a jump or a return: bail out before building a graph whose first pass
  // alone would exceed the budget.
  const ends = program.reduce((n, insn) => n + (isJumpOrReturn(insn.code) ? 1 : 0), 0);
  if (passWork(ends) > workBudget) return { kind: "too large" };
  const graph = toBlockGraph(program);
  const budget: WorkBudget = { left: workBudget };
  try {
    optimizeLoop(graph, false, budget);
    optimizeLoop(graph, true, budget);
  } catch (error) {
    if (error instanceof OptimizerError) return { kind: "error", message: error.message };
    if (error instanceof BudgetExceeded) return { kind: "too large" };
    throw error;
  }
  internBlocks(graph);
  let root = graph.root;
  while (bpfClass(root.s.code) === BPF_JMP && jt(root) === jf(root)) root = jt(root)!;
  const rejectsAll = root.s.code === (BPF_RET | BPF_K) && root.s.k === 0;
  return rejectsAll ? { kind: "rejects all" } : { kind: "accepts" };
}

const isJumpOrReturn = (code: number) => {
  const cls = bpfClass(code);
  return cls === BPF_RET || (cls === BPF_JMP && code !== (BPF_JMP | BPF_JA));
};

/** A pass visits every block's and every edge's dominator set a few times. */
const passWork = (blocks: number) =>
  4 * (blocks * ((blocks >>> 5) + 1) + 2 * blocks * (((2 * blocks) >>> 5) + 1));

/** opt_loop: passes over the whole graph until one changes nothing. */
function optimizeLoop(graph: BlockGraph, doStmts: boolean, budget: WorkBudget): void {
  let branchOnly = 0;
  for (;;) {
    spend(budget, passWork(graph.blocks.length));
    const st: PassState = {
      values: newValueTable(),
      done: true,
      nonBranchMovement: false,
      budget,
    };
    const levels = findLevels(graph);
    findDominators(graph, levels);
    findUseDef(graph, levels);
    findEdgeDominators(graph, levels);
    findInEdges(graph, levels);
    for (let i = graph.root.level; i >= 0; i--) {
      for (const b of levels[i] ?? []) optimizeBlock(st, b, doStmts);
    }
    if (!doStmts) optimizeBranches(st, graph, levels, () => findInEdges(graph, levels));
    if (st.done) return;
    branchOnly = st.nonBranchMovement ? 0 : branchOnly + 1;
    if (branchOnly >= MAX_BRANCH_ONLY_PASSES) return;
  }
}

/** What eq_blk compares: the test, the successors, and the statements that were not deleted. */
function blockKey(b: Block): string {
  let key = `${b.s.code}:${b.s.k}:${jt(b)?.id}:${jf(b)?.id}`;
  for (const s of b.stmts) if (s.code !== NOP) key += `;${s.code}:${s.k}`;
  return key;
}

/**
 * intern_blocks: a branch to a block goes to the first equal block after it
 * (by number) instead, or to where that one goes, until nothing changes.
 * optimize.c compares each pair; a table of the blocks seen gives the same
 * links in linear time.
 */
function internBlocks(graph: BlockGraph): void {
  const { blocks } = graph;
  for (let changed = true; changed;) {
    changed = false;
    for (const b of blocks) b.link = undefined;
    const live = new Uint8Array(blocks.length);
    const stack: Block[] = [graph.root];
    while (stack.length > 0) {
      const b = stack.pop()!;
      if (live[b.id]) continue;
      live[b.id] = 1;
      if (bpfClass(b.s.code) !== BPF_RET) stack.push(jt(b)!, jf(b)!);
    }
    // Walking down from the last block, the table holds the lowest-numbered equal block seen.
    const seen = new Map<string, Block>();
    const last = blocks[blocks.length - 1]!;
    if (live[last.id]) seen.set(blockKey(last), last);
    for (let i = blocks.length - 2; i >= 0; i--) {
      const b = blocks[i]!;
      if (!live[i]) continue;
      const key = blockKey(b);
      const same = seen.get(key);
      if (same !== undefined) b.link = same.link ?? same;
      seen.set(key, b);
    }
    for (const p of blocks) {
      const t = jt(p);
      const f = jf(p);
      if (t === undefined || f === undefined) continue;
      if (t.link !== undefined) {
        changed = true;
        p.et.succ = t.link;
      }
      if (f.link !== undefined) {
        changed = true;
        p.ef.succ = f.link;
      }
    }
  }
}

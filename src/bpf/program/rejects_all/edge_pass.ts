/**
 * libpcap's branch optimisations: moving an edge past a block whose test an
 * edge on every path to it has already decided (opt_j with fold_edge), and
 * pulling a test on the value an or-chain (and-chain) started with up to the
 * top of the chain (or_pullup, and_pullup). These are the only facts libpcap
 * uses about packets: the same test on the same value has the same outcome,
 * and after `jeq #k` was true the value is not any other constant.
 */
import { A_ATOM, type Block, type BlockGraph, type Edge, jf, jt, N_ATOMS } from "./blocks.ts";
import { findDominators, type Levels, setHas } from "./flow_sets.ts";
import { type PassState, spend } from "./pass_state.ts";

const JEQ_K = 0x15;

/** Whether an atom `succ` uses on exit has another value on exit from `b` (use_conflict). */
function useConflict(b: Block, succ: Block): boolean {
  const use = succ.outUse;
  if (use === 0) return false;
  for (let atom = 0; atom < N_ATOMS; atom++) {
    if (use & (1 << atom) && b.val[atom] !== succ.val[atom]) return true;
  }
  return false;
}

/** Where `child`'s test goes, when dominating edge `e` decides it (fold_edge). */
function foldEdge(child: Block, e: Edge): Block | undefined {
  const sense = e.code >= 0;
  const code = sense ? e.code : -e.code;
  if (child.s.code !== code) return undefined;
  if (child.val[A_ATOM] !== e.pred.val[A_ATOM]) return undefined;
  if (child.oval === e.pred.oval) return sense ? jt(child) : jf(child);
  if (sense && code === JEQ_K) return jf(child);
  return undefined;
}

/** opt_j: moves edge `e` past successors whose test is decided on it. */
function optimizeJump(st: PassState, graph: BlockGraph, e: Edge): void {
  const succ = e.succ!;
  if (jt(succ) === undefined) return;
  if (jt(succ) === jf(succ) && !useConflict(e.pred, jt(succ)!)) {
    st.nonBranchMovement = true;
    st.done = false;
    e.succ = jt(succ);
  }
  top: for (;;) {
    spend(st.budget, e.edom.length);
    for (let w = 0; w < e.edom.length; w++) {
      let bits = e.edom[w]!;
      while (bits !== 0) {
        spend(st.budget, 1);
        const bit = 31 - Math.clz32(bits & -bits);
        bits &= ~(1 << bit);
        const target = foldEdge(e.succ!, graph.edges[w * 32 + bit]!);
        if (target !== undefined && !useConflict(e.pred, target)) {
          st.done = false;
          e.succ = target;
          if (jt(target) !== undefined) continue top;
          return;
        }
      }
    }
    return;
  }
}

/** A slot holding a successor: an edge whose `succ` a pull-up rewrites (optimize.c's `struct block **`). */
type Slot = Edge;

/**
 * or_pullup (`chain` "ef": down the false edges of tests that exit on the
 * true side where `b` does) and and_pullup ("et", the mirror image): the
 * first test below `b` on the value `b`'s predecessors left in A, after one
 * on another value, moves up to the top of the chain.
 */
function pullUp(st: PassState, dominators: Dominators, b: Block, chain: "ef" | "et"): void {
  const dominates = dominators.dominates;
  const exit = chain === "ef" ? "et" : "ef";
  let e = b.inEdges;
  if (e === undefined) return;
  const val = e.pred.val[A_ATOM];
  for (e = e.next; e !== undefined; e = e.next) if (e.pred.val[A_ATOM] !== val) return;
  const first = b.inEdges!.pred;
  let diff: Slot = jt(first) === b ? first.et : first.ef;
  let atTop = true;
  for (;;) {
    const d = diff.succ;
    if (d === undefined) return;
    if (d[exit].succ !== b[exit].succ) return;
    if (!dominates(b, d)) return;
    if (d.val[A_ATOM] !== val) break;
    diff = d[chain];
    atTop = false;
  }
  let same: Slot = diff.succ![chain];
  for (;;) {
    const s = same.succ;
    if (s === undefined) return;
    if (s[exit].succ !== b[exit].succ) return;
    if (!dominates(b, s)) return;
    if (s.val[A_ATOM] === val) break;
    same = s[chain];
  }
  const pull = same.succ!;
  same.succ = pull[chain].succ;
  pull[chain].succ = diff.succ;
  if (atTop) {
    for (let in_ = b.inEdges; in_ !== undefined; in_ = in_.next) {
      if (jt(in_.pred) === b) in_.pred.et.succ = pull;
      else in_.pred.ef.succ = pull;
    }
  } else diff.succ = pull;
  st.done = false;
  dominators.stale = true;
}

/** The branch part of opt_blks: edge moves, then pull-ups, level by level from the bottom. */
export function optimizeBranches(
  st: PassState,
  graph: BlockGraph,
  levels: Levels,
  inEdges: () => void,
): void {
  const top = graph.root.level;
  for (let i = 1; i <= top; i++) {
    for (const p of levels[i] ?? []) {
      optimizeJump(st, graph, p.et);
      optimizeJump(st, graph, p.ef);
    }
  }
  inEdges();
  const dominators = lazyDominators(st, graph, levels);
  for (let i = 1; i <= top; i++) {
    for (const p of levels[i] ?? []) {
      pullUp(st, dominators, p, "ef");
      pullUp(st, dominators, p, "et");
    }
  }
}

/**
 * Block dominators, which optimize.c recomputes after every pull-up
 * (find_dom, over the level lists of the pass, however stale): recomputed
 * here only when next asked, which gives the same answers.
 */
interface Dominators {
  stale: boolean;
  dominates(b: Block, d: Block): boolean;
}

function lazyDominators(st: PassState, graph: BlockGraph, levels: Levels): Dominators {
  const self: Dominators = {
    stale: false,
    dominates(b, d) {
      // find_dom puts every block it visits in its own set; all pull-up chains start at one.
      if (b === d) return true;
      if (self.stale) {
        spend(st.budget, graph.domSets.length);
        findDominators(graph, levels);
        self.stale = false;
      }
      return setHas(d.dom, b.id);
    },
  };
  return self;
}

/**
 * The graph facts libpcap's optimiser recomputes before each pass: levels
 * (distance from the returns, which orders every pass), dominators of blocks
 * and of edges, registers used and set (use-def), and in-edge lists. Each
 * function follows optimize.c's order of visiting, on which the passes'
 * outcome can depend.
 */
import {
  A_ATOM,
  type Block,
  type BlockGraph,
  type Edge,
  jf,
  jt,
  N_ATOMS,
  NOP,
  type Stmt,
  X_ATOM,
} from "./blocks.ts";
import { BPF_JMP, BPF_RET, bpfClass } from "../opcodes.ts";

/** Atom number meaning "A and X" (an ALU or jump with X operand). */
const AX_ATOM = N_ATOMS;

/** Blocks by level, each list in optimize.c's order; index 0 holds the returns. */
export type Levels = Block[][];

/** Levels of the blocks reachable from the root (find_levels). */
export function findLevels(graph: BlockGraph): Levels {
  const levels: Levels = [];
  const seen = new Uint8Array(graph.blocks.length);
  const visit = (b: Block): void => {
    if (seen[b.id]) return;
    seen[b.id] = 1;
    const t = jt(b);
    const f = jf(b);
    if (t !== undefined && f !== undefined) {
      visit(t);
      visit(f);
      b.level = Math.max(t.level, f.level) + 1;
    } else b.level = 0;
    (levels[b.level] ??= []).push(b);
  };
  visit(graph.root);
  // optimize.c links each block in front of its level's list.
  for (const list of levels) list?.reverse();
  return levels;
}

/** Visits blocks from the root's level down to `lowest`, in list order. */
export function forEachDownward(
  levels: Levels,
  top: number,
  lowest: number,
  f: (b: Block) => void,
) {
  for (let i = top; i >= lowest; i--) for (const b of levels[i] ?? []) f(b);
}

/** Visits blocks from level `lowest` up to `top`, in list order. */
export function forEachUpward(levels: Levels, lowest: number, top: number, f: (b: Block) => void) {
  for (let i = lowest; i <= top; i++) for (const b of levels[i] ?? []) f(b);
}

export const setHas = (set: Uint32Array, i: number): boolean =>
  (set[i >>> 5]! & (1 << (i & 31))) !== 0;
const setAdd = (set: Uint32Array, i: number) => {
  set[i >>> 5]! |= 1 << (i & 31);
};

/** Block dominators (find_dom). */
export function findDominators(graph: BlockGraph, levels: Levels): void {
  graph.domSets.fill(0xffffffff);
  graph.root.dom.fill(0);
  for (let level = graph.root.level; level >= 0; level--) {
    for (const b of levels[level] ?? []) {
      const dom = b.dom;
      setAdd(dom, b.id);
      const t = jt(b);
      const f = jf(b);
      if (t === undefined || f === undefined) continue;
      const td = t.dom;
      const fd = f.dom;
      for (let w = 0; w < dom.length; w++) {
        td[w]! &= dom[w]!;
        fd[w]! &= dom[w]!;
      }
    }
  }
}

/** Edge dominators (find_edom). */
export function findEdgeDominators(graph: BlockGraph, levels: Levels): void {
  graph.edomSets.fill(0xffffffff);
  graph.root.et.edom.fill(0);
  graph.root.ef.edom.fill(0);
  for (let level = graph.root.level; level >= 0; level--) {
    for (const b of levels[level] ?? []) {
      propagateEdgeDominators(b.et);
      propagateEdgeDominators(b.ef);
    }
  }
}

function propagateEdgeDominators(e: Edge): void {
  const edom = e.edom;
  setAdd(edom, e.id);
  if (e.succ === undefined) return;
  const t = e.succ.et.edom;
  const f = e.succ.ef.edom;
  for (let w = 0; w < edom.length; w++) {
    t[w]! &= edom[w]!;
    f[w]! &= edom[w]!;
  }
}

/** The atom `s` reads (AX_ATOM for both A and X), or -1 (atomuse). */
export function atomUse(s: Stmt): number {
  const c = s.code;
  if (c === NOP) return -1;
  switch (c & 0x07) {
    case BPF_RET:
      return (c & 0x18) === 0x10 ? A_ATOM : (c & 0x18) === 0x08 ? X_ATOM : -1;
    case 0x00: // LD
    case 0x01: // LDX
      return (c & 0xe0) === 0x40 ? X_ATOM : (c & 0xe0) === 0x60 ? s.k : -1;
    case 0x02: // ST
      return A_ATOM;
    case 0x03: // STX
      return X_ATOM;
    case BPF_JMP:
    case 0x04: // ALU
      return (c & 0x08) !== 0 ? AX_ATOM : A_ATOM;
    default: // MISC: txa reads X, tax reads A
      return (c & 0xf8) === 0x80 ? X_ATOM : A_ATOM;
  }
}

/** The atom `s` sets, or -1 (atomdef). */
export function atomDef(s: Stmt): number {
  const c = s.code;
  if (c === NOP) return -1;
  switch (c & 0x07) {
    case 0x00:
    case 0x04:
      return A_ATOM;
    case 0x01:
      return X_ATOM;
    case 0x02:
    case 0x03:
      return s.k;
    case 0x07:
      return (c & 0xf8) === 0x00 ? X_ATOM : A_ATOM;
  }
  return -1;
}

function localUseDef(b: Block): void {
  let def = 0, use = 0, killed = 0;
  const noteUse = (atom: number) => {
    if (atom === AX_ATOM) {
      if (!(def & (1 << X_ATOM))) use |= 1 << X_ATOM;
      if (!(def & (1 << A_ATOM))) use |= 1 << A_ATOM;
    } else if (atom >= 0 && !(def & (1 << atom))) use |= 1 << atom;
  };
  for (const s of b.stmts) {
    if (s.code === NOP) continue;
    noteUse(atomUse(s));
    const atom = atomDef(s);
    if (atom >= 0) {
      if (!(use & (1 << atom))) killed |= 1 << atom;
      def |= 1 << atom;
    }
  }
  if (bpfClass(b.s.code) === BPF_JMP) noteUse(atomUse(b.s));
  b.def = def;
  b.kill = killed;
  b.inUse = use;
}

/** Atoms used on entry to and on exit from each block (find_ud). */
export function findUseDef(graph: BlockGraph, levels: Levels): void {
  const top = graph.root.level;
  forEachDownward(levels, top, 0, (b) => {
    localUseDef(b);
    b.outUse = 0;
  });
  forEachUpward(levels, 1, top, (b) => {
    b.outUse |= jt(b)!.inUse | jf(b)!.inUse;
    b.inUse |= b.outUse & ~b.kill;
  });
}

/** In-edge lists, built from the level lists (find_inedges). */
export function findInEdges(graph: BlockGraph, levels: Levels): void {
  for (const b of graph.blocks) b.inEdges = undefined;
  const link = (e: Edge) => {
    const child = e.succ!;
    e.next = child.inEdges;
    child.inEdges = e;
  };
  forEachDownward(levels, graph.root.level, 1, (b) => {
    link(b.et);
    link(b.ef);
  });
}

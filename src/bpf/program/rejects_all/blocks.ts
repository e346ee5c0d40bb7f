/**
 * A classic BPF program as libpcap's optimiser sees it (gencode.c's
 * `struct block`): basic blocks of statements, each ending in one
 * conditional jump with a true and a false successor, or in a return.
 * Blocks are numbered as optimize.c numbers them (depth first from the
 * root, true side first), because the order of its passes follows those
 * numbers. Only the fields the emulation needs are kept.
 */
import type { RawProgram } from "../raw_instruction.ts";
import { BPF_JA, BPF_JMP, BPF_RET, bpfClass } from "../opcodes.ts";

/** A statement; `code` becomes NOP when a pass deletes it. */
export interface Stmt {
  code: number;
  k: number;
}

/** A deleted statement (optimize.c's NOP). */
export const NOP = -1;

/** A branch out of a block: the true edge or the false edge. */
export interface Edge {
  /** True edges are numbered like their block, false edges after all true edges. */
  readonly id: number;
  /** Set once, when the block is made. */
  pred: Block;
  succ: Block | undefined;
  /** The jump's opcode, negated on the false edge (what fold_edge compares). */
  code: number;
  /** Edges on every path from the root to this one, this one included (bit set of ids). */
  readonly edom: Uint32Array;
  /** Next edge into the same successor (optimize.c's in-edge list). */
  next: Edge | undefined;
}

export interface Block {
  readonly id: number;
  stmts: Stmt[];
  /** The final jump or return. */
  readonly s: Stmt;
  readonly et: Edge;
  readonly ef: Edge;
  level: number;
  /** Blocks on every path from the root to this one (bit set of ids). */
  readonly dom: Uint32Array;
  /** Atoms (scratch words, A, X) used before being set, set, and set before use. */
  inUse: number;
  outUse: number;
  def: number;
  kill: number;
  /** Value numbers of the atoms on exit. */
  val: Uint32Array;
  /** Value number of the jump's operand (the constant, or X). */
  oval: number;
  inEdges: Edge | undefined;
  /** Scratch link: the equal block in intern_blocks. */
  link: Block | undefined;
}

export interface BlockGraph {
  readonly root: Block;
  /** All blocks, indexed by id. */
  readonly blocks: readonly Block[];
  /** All edges, indexed by id. */
  readonly edges: readonly Edge[];
  /** The memory of all blocks' `dom` sets and of all edges' `edom` sets, to reset at once. */
  readonly domSets: Uint32Array;
  readonly edomSets: Uint32Array;
}

const JA = BPF_JMP | BPF_JA;

/** 18 atoms: scratch memory words 0..15, then A and X. */
export const MEMWORDS = 16;
export const A_ATOM = MEMWORDS;
export const X_ATOM = MEMWORDS + 1;
export const N_ATOMS = MEMWORDS + 2;

/** Successor of block `b` (undefined for a return): JT(b) / JF(b). */
export const jt = (b: Block): Block | undefined => b.et.succ;
export const jf = (b: Block): Block | undefined => b.ef.succ;

/**
 * The block graph of a program without backward jumps. `ja` is followed: it
 * only appears as a long-branch trampoline in gencode's output (libpcap
 * inserts it when it writes the program out).
 */
export function toBlockGraph(program: RawProgram): BlockGraph {
  interface Shape {
    stmts: Stmt[];
    s: Stmt;
    t: number;
    f: number;
  }
  const shapes = new Map<number, Shape>();
  const follow = (pc: number): number => {
    let steps = 0;
    while (program[pc]!.code === JA && steps++ < program.length) pc += 1 + (program[pc]!.k | 0);
    return pc;
  };
  const shapeAt = (start: number): Shape => {
    let shape = shapes.get(start);
    if (shape !== undefined) return shape;
    const stmts: Stmt[] = [];
    let pc = start;
    for (;;) {
      pc = follow(pc);
      const insn = program[pc]!;
      const cls = bpfClass(insn.code);
      if (cls === BPF_RET) {
        shape = { stmts, s: { code: insn.code, k: insn.k }, t: -1, f: -1 };
        break;
      }
      if (cls === BPF_JMP) {
        const t = follow(pc + 1 + insn.jt);
        const f = follow(pc + 1 + insn.jf);
        shape = { stmts, s: { code: insn.code, k: insn.k }, t, f };
        break;
      }
      stmts.push({ code: insn.code, k: insn.k });
      pc++;
    }
    shapes.set(start, shape);
    return shape;
  };
  // Number depth first from the root, true side first (optimize.c number_blks_r).
  const order: number[] = [];
  const idOf = new Map<number, number>();
  const stack = [follow(0)];
  while (stack.length > 0) {
    const start = stack.pop()!;
    if (idOf.has(start)) continue;
    idOf.set(start, order.length);
    order.push(start);
    const shape = shapeAt(start);
    if (shape.t >= 0) stack.push(shape.f, shape.t);
  }
  const n = order.length;
  const nodeWords = (n >>> 5) + 1;
  const edgeWords = ((2 * n) >>> 5) + 1;
  const domSets = new Uint32Array(n * nodeWords);
  const edomSets = new Uint32Array(2 * n * edgeWords);
  const edge = (id: number): Edge => ({
    id,
    pred: undefined as unknown as Block,
    succ: undefined,
    code: 0,
    edom: edomSets.subarray(id * edgeWords, (id + 1) * edgeWords),
    next: undefined,
  });
  const blocks: Block[] = order.map((start, id) => {
    const shape = shapeAt(start);
    const block: Block = {
      id,
      stmts: shape.stmts.map((s) => ({ ...s })),
      s: { ...shape.s },
      et: edge(id),
      ef: edge(n + id),
      level: 0,
      dom: domSets.subarray(id * nodeWords, (id + 1) * nodeWords),
      inUse: 0,
      outUse: 0,
      def: 0,
      kill: 0,
      val: new Uint32Array(N_ATOMS),
      oval: 0,
      inEdges: undefined,
      link: undefined,
    };
    block.et.pred = block;
    block.ef.pred = block;
    return block;
  });
  order.forEach((start, id) => {
    const shape = shapeAt(start);
    if (shape.t < 0) return;
    blocks[id]!.et.succ = blocks[idOf.get(shape.t)!];
    blocks[id]!.ef.succ = blocks[idOf.get(shape.f)!];
  });
  const edges = [...blocks.map((b) => b.et), ...blocks.map((b) => b.ef)];
  return { root: blocks[0]!, blocks, edges, domSets, edomSets };
}

/**
 * libpcap's optimiser on one block (opt_blk): the value numbers of the atoms
 * on exit, computed from the predecessors' and the statements; with `alter`,
 * statements rewritten on what the numbers show (constants folded, loads of
 * what a register holds dropped); peephole rewrites of the final test
 * (`sub`/`and` before `jeq` folded into it, tests on a constant A decided);
 * dead stores dropped. Only what can change the value numbers or the jumps
 * matters to the emulation, but the statements are kept as optimize.c
 * rewrites them because later rewrites look at them.
 */
import { A_ATOM, type Block, jf, jt, N_ATOMS, NOP, type Stmt, X_ATOM } from "./blocks.ts";
import { atomDef, atomUse } from "./flow_sets.ts";
import { VAL_UNKNOWN } from "./value_numbers.ts";
import { OptimizerError, type PassState } from "./pass_state.ts";

const LD_IMM = 0x00, LDX_IMM = 0x01, LDX_MEM = 0x61, LDX_MSH_B = 0xb1, ST = 0x02;
const TAX = 0x07, TXA = 0x87, NEG = 0x84;
const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50;
const LSH = 0x60, RSH = 0x70, MOD = 0x90, XOR = 0xa0;
const JEQ_K = 0x15, JEQ_X = 0x1d, JSET_K = 0x45;
const ALU_SUB_X = 0x1c, ALU_SUB_K = 0x14, ALU_AND_K = 0x54, ALU_ADD_X = 0x0c;
const changed = (st: PassState) => {
  st.nonBranchMovement = true;
  st.done = false;
};

function setVal(s: Stmt | undefined, val: Uint32Array, atom: number, v: number, alter: boolean) {
  if (alter && v !== VAL_UNKNOWN && val[atom] === v) {
    if (s !== undefined) s.code = NOP;
  } else val[atom] = v;
}

function foldOp(st: PassState, s: Stmt, a: number, b: number): void {
  let r: number;
  switch (s.code & 0xf0) {
    case ADD:
      r = a + b;
      break;
    case SUB:
      r = a - b;
      break;
    case MUL:
      r = Math.imul(a, b);
      break;
    case DIV:
      if (b === 0) throw new OptimizerError("division by zero");
      r = Math.floor(a / b);
      break;
    case MOD:
      if (b === 0) throw new OptimizerError("modulus by zero");
      r = a % b;
      break;
    case AND:
      r = a & b;
      break;
    case OR:
      r = a | b;
      break;
    case XOR:
      r = a ^ b;
      break;
    case LSH:
      r = b < 32 ? a << b : 0;
      break;
    default: // RSH
      r = b < 32 ? a >>> b : 0;
  }
  s.k = r >>> 0;
  s.code = LD_IMM;
  changed(st);
}

/** `ld M[k]` / `ldx M[k]`: a slot known to hold a constant becomes an immediate load. */
function loadFromMemory(
  st: PassState,
  s: Stmt,
  val: Uint32Array,
  atom: number,
  immediate: number,
  alter: boolean,
): void {
  const v = val[s.k]!;
  const constant = st.values.constantOf(v);
  if (alter && constant !== undefined) {
    s.code = immediate;
    s.k = constant;
    changed(st);
  }
  setVal(s, val, atom, v, alter);
}

/** opt_stmt: the value `s` gives the atom it sets; with `alter`, `s` simplified. */
function optStmt(st: PassState, s: Stmt, val: Uint32Array, alter: boolean): void {
  const { values } = st;
  const isConst = (v: number) => values.constantOf(v) !== undefined;
  const constOf = (v: number) => values.constantOf(v)!;
  const code = s.code;
  switch (code) {
    case 0x20:
    case 0x28:
    case 0x30:
      setVal(s, val, A_ATOM, values.value(code, s.k, 0), alter);
      return;
    case 0x40:
    case 0x48:
    case 0x50: {
      let v = val[X_ATOM]!;
      if (alter && isConst(v)) {
        s.code = 0x20 | (code & 0x18);
        s.k = (s.k + constOf(v)) >>> 0;
        v = values.value(s.code, s.k, 0);
        changed(st);
      } else v = values.value(code, s.k, v);
      setVal(s, val, A_ATOM, v, alter);
      return;
    }
    case 0x80:
      setVal(s, val, A_ATOM, values.value(code, 0, 0), alter);
      return;
    case LD_IMM:
      setVal(s, val, A_ATOM, values.constant(s.k), alter);
      return;
    case LDX_IMM:
      setVal(s, val, X_ATOM, values.constant(s.k), alter);
      return;
    case LDX_MSH_B:
      setVal(s, val, X_ATOM, values.value(code, s.k, 0), alter);
      return;
    case NEG:
      if (alter && isConst(val[A_ATOM]!)) {
        s.code = LD_IMM;
        s.k = (0 - constOf(val[A_ATOM]!)) >>> 0;
        val[A_ATOM] = values.constant(s.k);
      } else val[A_ATOM] = values.value(code, val[A_ATOM]!, 0);
      return;
    case TXA:
      setVal(s, val, A_ATOM, val[X_ATOM]!, alter);
      return;
    case 0x60: // ld M[k]
      loadFromMemory(st, s, val, A_ATOM, LD_IMM, alter);
      return;
    case TAX:
      setVal(s, val, X_ATOM, val[A_ATOM]!, alter);
      return;
    case LDX_MEM:
      loadFromMemory(st, s, val, X_ATOM, LDX_IMM, alter);
      return;
    case ST:
      setVal(s, val, s.k, val[A_ATOM]!, alter);
      return;
    case 0x03: // stx
      setVal(s, val, s.k, val[X_ATOM]!, alter);
      return;
  }
  if ((code & 0x07) !== 0x04) return;
  const op = code & 0xf0;
  if ((code & 0x08) === 0) {
    if (alter) {
      if (s.k === 0) {
        if (op === ADD || op === LSH || op === RSH || op === OR || op === XOR) {
          s.code = NOP;
          return;
        }
        if (op === MUL || op === AND) {
          s.code = LD_IMM;
          val[A_ATOM] = values.constant(s.k);
          return;
        }
        if (op === DIV) throw new OptimizerError("division by zero");
        if (op === MOD) throw new OptimizerError("modulus by zero");
      }
      if (isConst(val[A_ATOM]!)) {
        foldOp(st, s, constOf(val[A_ATOM]!), s.k);
        val[A_ATOM] = values.constant(s.k);
        return;
      }
    }
    val[A_ATOM] = values.value(code, val[A_ATOM]!, values.constant(s.k));
    return;
  }
  if (alter && isConst(val[X_ATOM]!)) {
    if (isConst(val[A_ATOM]!)) {
      foldOp(st, s, constOf(val[A_ATOM]!), constOf(val[X_ATOM]!));
      val[A_ATOM] = values.constant(s.k);
    } else {
      s.code = 0x04 | op;
      s.k = constOf(val[X_ATOM]!);
      if ((op === LSH || op === RSH) && s.k > 31) {
        throw new OptimizerError("shift by more than 31 bits");
      }
      changed(st);
      val[A_ATOM] = values.value(s.code, val[A_ATOM]!, values.constant(s.k));
    }
    return;
  }
  if (alter && isConst(val[A_ATOM]!) && constOf(val[A_ATOM]!) === 0) {
    if (op === ADD || op === OR || op === XOR) {
      s.code = TXA;
      setVal(s, val, A_ATOM, val[X_ATOM]!, alter);
      return;
    }
    if (op === MUL || op === DIV || op === MOD || op === AND || op === LSH || op === RSH) {
      s.code = LD_IMM;
      s.k = 0;
      setVal(s, val, A_ATOM, values.constant(s.k), alter);
      return;
    }
  }
  val[A_ATOM] = values.value(code, val[A_ATOM]!, val[X_ATOM]!);
}

/** The next statement from `i` on that is not deleted (this_op). */
function nextOp(stmts: readonly Stmt[], i: number): number {
  while (i < stmts.length && stmts[i]!.code === NOP) i++;
  return i;
}

/** opt_peep: rewrites across statement pairs and of the final test. */
function optPeep(st: PassState, b: Block): void {
  const { stmts } = b;
  if (stmts.length === 0) return;
  const { values } = st;
  let last = stmts[0]!;
  for (let at = 0;;) {
    const i = nextOp(stmts, at);
    if (i >= stmts.length) break;
    const j = nextOp(stmts, i + 1);
    if (j >= stmts.length) break;
    const s = stmts[i]!;
    const next = stmts[j]!;
    last = next;
    at = j;
    if (s.code === ST && next.code === LDX_MEM && s.k === next.k) {
      changed(st);
      next.code = TAX;
    }
    if (s.code === LD_IMM && next.code === TAX) {
      s.code = LDX_IMM;
      next.code = TXA;
      changed(st);
    }
    if (s.code === LD_IMM) {
      // ld #k; [ldxms]; add x; tax; ld [x + n]  ->  [ldxms]; ld [x + n + k]
      if (b.outUse & (1 << X_ATOM)) continue;
      const addAt = next.code !== LDX_MSH_B ? j : nextOp(stmts, j + 1);
      const add = stmts[addAt];
      if (add === undefined || add.code !== ALU_ADD_X) continue;
      const tax = stmts[nextOp(stmts, addAt + 1)];
      if (tax === undefined || tax.code !== TAX) continue;
      const ild = stmts[nextOp(stmts, nextOp(stmts, addAt + 1) + 1)];
      if (ild === undefined || (ild.code & 0x07) !== 0x00 || (ild.code & 0xe0) !== 0x40) continue;
      ild.k = (ild.k + s.k) >>> 0;
      s.code = NOP;
      add.code = NOP;
      tax.code = NOP;
      changed(st);
    }
  }
  const test = b.s;
  if (test.code === JEQ_K && !(b.outUse & (1 << A_ATOM))) {
    if (last.code === ALU_SUB_X) {
      const x = values.constantOf(b.val[X_ATOM]!);
      if (x !== undefined) {
        test.k = (test.k + x) >>> 0;
        last.code = NOP;
        changed(st);
      } else if (test.k === 0) {
        last.code = NOP;
        test.code = JEQ_X;
        changed(st);
      }
    } else if (last.code === ALU_SUB_K) {
      last.code = NOP;
      test.k = (test.k + last.k) >>> 0;
      changed(st);
    } else if (last.code === ALU_AND_K && test.k === 0) {
      test.k = last.k;
      test.code = JSET_K;
      last.code = NOP;
      changed(st);
      const t = b.et.succ;
      b.et.succ = b.ef.succ;
      b.ef.succ = t;
    }
  }
  if (test.code === JSET_K) {
    if (test.k === 0) b.et.succ = b.ef.succ;
    if (test.k === 0xffffffff) b.ef.succ = b.et.succ;
  }
  const x = values.constantOf(b.val[X_ATOM]!);
  if (x !== undefined && (test.code & 0x08) !== 0) {
    test.code &= ~0x08;
    test.k = x;
  }
  const a = values.constantOf(b.val[A_ATOM]!);
  if (a !== undefined && (test.code & 0x08) === 0) {
    let v: boolean;
    switch (test.code & 0xf0) {
      case 0x10:
        v = a === test.k;
        break;
      case 0x20:
        v = a > test.k;
        break;
      case 0x30:
        v = a >= test.k;
        break;
      case 0x40:
        v = (a & test.k) !== 0;
        break;
      default:
        // A return with statements before it: gencode makes none (optimize.c would abort).
        return;
    }
    if (jf(b) !== jt(b)) changed(st);
    if (v) b.ef.succ = b.et.succ;
    else b.et.succ = b.ef.succ;
  }
}

/** opt_deadstores: a set that is overwritten, or not used after the block, is deleted. */
/** The last set of each atom in the block being looked at (optimize.c's `last[]`), reused. */
const lastSet: (Stmt | undefined)[] = new Array(N_ATOMS).fill(undefined);

function optDeadStores(st: PassState, b: Block): void {
  const last = lastSet;
  last.fill(undefined);
  const visit = (s: Stmt) => {
    const use = atomUse(s);
    if (use === N_ATOMS) {
      last[X_ATOM] = undefined;
      last[A_ATOM] = undefined;
    } else if (use >= 0) last[use] = undefined;
    const def = atomDef(s);
    if (def >= 0) {
      const previous = last[def];
      if (previous !== undefined) {
        changed(st);
        previous.code = NOP;
      }
      last[def] = s;
    }
  };
  for (const s of b.stmts) visit(s);
  visit(b.s);
  for (let atom = 0; atom < N_ATOMS; atom++) {
    const s = last[atom];
    if (s !== undefined && !(b.outUse & (1 << atom))) {
      s.code = NOP;
      b.val[atom] = VAL_UNKNOWN;
      changed(st);
    }
  }
}

/** opt_blk: value numbers on exit from `b`, and (with `doStmts`) its statements simplified. */
export function optimizeBlock(st: PassState, b: Block, doStmts: boolean): void {
  const val = b.val;
  let e = b.inEdges;
  if (e === undefined) val.fill(VAL_UNKNOWN);
  else {
    val.set(e.pred.val);
    for (e = e.next; e !== undefined; e = e.next) {
      const other = e.pred.val;
      for (let i = 0; i < N_ATOMS; i++) if (val[i] !== other[i]) val[i] = VAL_UNKNOWN;
    }
  }
  const aval = val[A_ATOM]!;
  const xval = val[X_ATOM]!;
  for (const s of b.stmts) optStmt(st, s, val, doStmts);
  const unchanged = b.outUse === 0 && aval !== VAL_UNKNOWN && val[A_ATOM] === aval &&
    xval !== VAL_UNKNOWN && val[X_ATOM] === xval;
  if (doStmts && (unchanged || (b.s.code & 0x07) === 0x06)) {
    if (b.stmts.length > 0) {
      b.stmts = [];
      changed(st);
    }
  } else {
    optPeep(st, b);
    optDeadStores(st, b);
  }
  b.oval = (b.s.code & 0x08) === 0 ? st.values.constant(b.s.k) : val[X_ATOM]!;
  b.et.code = b.s.code;
  b.ef.code = -b.s.code;
}

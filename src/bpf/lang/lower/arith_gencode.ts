/**
 * Relations over packet data built exactly as libpcap's gencode.c builds them
 * (gen_loadi, gen_loadlen, gen_load, gen_arth, gen_neg, gen_relation): every
 * operand is computed into a scratch slot, slots handed out round robin, and
 * packet bytes loaded through X. Used with `exactGencode`: this is the
 * program libpcap's optimiser starts from, whose reasoning about it
 * (rejects_all/) depends on that shape; packet loads through X are not the
 * same value to it as the absolute loads protocol tests make.
 */
import { FilterSemanticError } from "../../errors.ts";
import type { RawInstruction } from "../../program/raw_instruction.ts";
import {
  BPF_ADD,
  BPF_ALU,
  BPF_IMM,
  BPF_IND,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_NEG,
  BPF_ST,
  BPF_SUB,
  BPF_TAX,
  BPF_W,
  BPF_X,
} from "../../program/opcodes.ts";
import type { Arith, ArithOp, Expr } from "../ast.ts";
import { and, branch, type Cond, not } from "./blocks.ts";
import { ALU_OF, andChecks, refuseLiteralOperand, relationJump, stmt } from "./arith_ops.ts";
import {
  allocSlot,
  cmp,
  freeSlot,
  loadIpv4HeaderLengthX,
  type LowerContext,
  type Offset,
  SIZE_CODE,
} from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";
import { notLaterFragment } from "./ip.ts";
import { IP_PROTOCOL_OF, NETWORK_PROTOS, protoAbbrev, TRANSPORT_PROTOS } from "./proto_abbrev.ts";

/** gencode.c's `struct arth`: code that leaves the value in scratch slot `slot`, and its checks. */
interface InSlot {
  readonly stmts: RawInstruction[];
  readonly checks: Cond | undefined;
  readonly slot: number;
}

const toX = (v: InSlot) => stmt(BPF_LDX | BPF_MEM, v.slot);
const toA = (v: InSlot) => stmt(BPF_LD | BPF_MEM, v.slot);

/** A value computed into a fresh slot by `stmts`. */
function stored(ctx: LowerContext, stmts: RawInstruction[], checks: Cond | undefined): InSlot {
  const slot = allocSlot(ctx);
  return { stmts: [...stmts, stmt(BPF_ST, slot)], checks, slot };
}

/** X = the variable part of `base` plus the index, or just the index (gen_abs_offset_varpart). */
function indexToX(base: Offset, index: InSlot): RawInstruction[] {
  if (base.slot === undefined) return [toX(index)];
  return [
    stmt(BPF_LDX | BPF_MEM, base.slot),
    toA(index),
    stmt(BPF_ALU | BPF_ADD | BPF_X),
    stmt(BPF_MISC | BPF_TAX),
  ];
}

function load(ctx: LowerContext, proto: string, index: InSlot, size: 1 | 2 | 4): InSlot {
  const slot = allocSlot(ctx);
  freeSlot(ctx, index.slot);
  const ind = (k: number) => stmt(BPF_LD | BPF_IND | SIZE_CODE[size], k);
  const pl = ctx.offLinkPl;
  let code: RawInstruction[];
  let checks = index.checks;
  if (proto === "link") {
    code = [...indexToX(ctx.offLinkHdr, index), ind(ctx.offLinkHdr.constant)];
  } else if (NETWORK_PROTOS.has(proto)) {
    code = [...indexToX(pl, index), ind(pl.constant + ctx.offNl)];
    const b = protoAbbrev(ctx, proto);
    checks = checks === undefined ? b : and(checks, b);
  } else if (TRANSPORT_PROTOS.has(proto)) {
    code = [
      ...loadIpv4HeaderLengthX(ctx),
      toA(index),
      stmt(BPF_ALU | BPF_ADD | BPF_X),
      stmt(BPF_MISC | BPF_TAX),
      ind(pl.constant + ctx.offNl),
    ];
    let b = and(protoAbbrev(ctx, proto), notLaterFragment(ctx));
    if (checks !== undefined) b = and(checks, b);
    checks = and(protoAbbrev(ctx, "ip"), b);
  } else if (proto === "icmp6") {
    let b = linkType(ctx, ETHERTYPE.ip6);
    if (checks !== undefined) b = and(checks, b);
    checks = and(b, cmp(ctx, "net", 6, 1, IP_PROTOCOL_OF.icmp6!));
    code = [...indexToX(pl, index), ind(pl.constant + ctx.offNl + 40)];
  } else {
    throw new FilterSemanticError(
      `unsupported index operation on '${proto === "link" ? "ether" : proto}'`,
    );
  }
  return { stmts: [...index.stmts, ...code, stmt(BPF_ST, slot)], checks, slot };
}

/** gen_arth's refusals look only at the first statement of the right operand. */
function checkOperand(op: ArithOp, right: InSlot): void {
  const first = right.stmts[0];
  refuseLiteralOperand(op, first?.code === (BPF_LD | BPF_IMM) ? first.k : undefined);
}

function value(ctx: LowerContext, node: Arith): InSlot {
  switch (node.kind) {
    case "const":
      return stored(ctx, [stmt(BPF_LD | BPF_IMM, node.value)], undefined);
    case "len":
      return stored(ctx, [stmt(BPF_LD | BPF_W | BPF_LEN)], undefined);
    case "neg": {
      const v = value(ctx, node.operand);
      const stmts = [...v.stmts, toA(v), stmt(BPF_ALU | BPF_NEG), stmt(BPF_ST, v.slot)];
      return { ...v, stmts };
    }
    case "load":
      return load(ctx, node.proto, value(ctx, node.index), node.size);
    case "binary": {
      const left = value(ctx, node.left);
      const right = value(ctx, node.right);
      checkOperand(node.op, right);
      const stmts = [
        ...left.stmts,
        ...right.stmts,
        toX(right),
        toA(left),
        stmt(BPF_ALU | BPF_X | ALU_OF[node.op]),
      ];
      freeSlot(ctx, left.slot);
      freeSlot(ctx, right.slot);
      // Only the left operand's protocol checks are kept, as gen_arth keeps them.
      return stored(ctx, stmts, left.checks);
    }
  }
}

/** `left RELOP right` as gen_relation makes it. */
export function gencodeRelation(
  ctx: LowerContext,
  node: Extract<Expr, { kind: "relation" }>,
): Cond {
  const left = value(ctx, node.left);
  const right = value(ctx, node.right);
  const [jump, reversed] = relationJump(node.op);
  const stmts = [...left.stmts, ...right.stmts, toX(right), toA(left)];
  let test: Cond;
  if (jump === BPF_JEQ) {
    stmts.push(stmt(BPF_ALU | BPF_SUB | BPF_X));
    test = branch(stmts, BPF_JMP | BPF_JEQ | BPF_K, 0);
  } else test = branch(stmts, BPF_JMP | jump | BPF_X, 0);
  if (reversed) test = not(test);
  freeSlot(ctx, left.slot);
  freeSlot(ctx, right.slot);
  const checks = andChecks(left.checks, right.checks);
  return checks === undefined ? test : and(checks, test);
}

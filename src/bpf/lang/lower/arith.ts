/**
 * Relations over packet data: arithmetic into the accumulator, packet access
 * `proto[index:size]` with the protocol checks it implies, and the compare
 * (libpcap gen_load, gen_arth, gen_relation). Protocol checks of every load
 * in a relation run before any of its loads, as in libpcap; values are kept in
 * A, and in a scratch slot while the right operand is computed. With
 * exactGencode, relations are built as gencode.c builds them instead
 * (arith_gencode.ts).
 */
import { FilterSemanticError } from "../../errors.ts";
import type { RawInstruction } from "../../program/raw_instruction.ts";
import {
  BPF_ADD,
  BPF_ALU,
  BPF_IMM,
  BPF_IND,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_NEG,
  BPF_ST,
  BPF_TAX,
  BPF_W,
  BPF_X,
} from "../../program/opcodes.ts";
import type { Arith, Expr } from "../ast.ts";
import { and, branch, type Cond, not } from "./blocks.ts";
import {
  allocSlot,
  cmp,
  freeSlot,
  loadIpv4HeaderLengthX,
  type LowerContext,
  SIZE_CODE,
} from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";
import { notLaterFragment } from "./ip.ts";
import { IP_PROTOCOL_OF, NETWORK_PROTOS, protoAbbrev, TRANSPORT_PROTOS } from "./proto_abbrev.ts";
import { gencodeRelation } from "./arith_gencode.ts";
import { ALU_OF, andChecks, refuseLiteralOperand, relationJump, stmt } from "./arith_ops.ts";

/** Code that leaves a value in A, the checks that must hold first, and what libpcap knows of it. */
interface Value {
  readonly stmts: RawInstruction[];
  readonly checks: Cond | undefined;
  /** Set when the value is a literal constant. */
  readonly constant: number | undefined;
  /** libpcap tests the first statement for `ld #k` when refusing `/ 0` and `<< 32`. */
  readonly firstImmediate: number | undefined;
}

function loadValue(ctx: LowerContext, proto: string, indexExpr: Arith, size: 1 | 2 | 4): Value {
  const index = value(ctx, indexExpr);
  const code = BPF_LD | SIZE_CODE[size];
  /** Load at `base + index` where X already holds any variable part of `base`. */
  const indexed = (base: number, prefixX: RawInstruction[] | undefined): RawInstruction[] => {
    if (prefixX === undefined) {
      if (index.constant !== undefined) return [stmt(code | 0x20, /* ABS */ base + index.constant)];
      return [...index.stmts, stmt(BPF_MISC | BPF_TAX), stmt(code | BPF_IND, base)];
    }
    if (index.constant !== undefined) {
      return [...prefixX, stmt(code | BPF_IND, base + index.constant)];
    }
    return [
      ...index.stmts,
      ...prefixX,
      stmt(BPF_ALU | BPF_ADD | BPF_X),
      stmt(BPF_MISC | BPF_TAX),
      stmt(code | BPF_IND, base),
    ];
  };
  const slotX = (
    slot: number | undefined,
  ) => (slot === undefined ? undefined : [stmt(BPF_LDX | BPF_MEM, slot)]);
  let stmts: RawInstruction[];
  let checks: Cond | undefined;
  if (proto === "link") {
    stmts = indexed(ctx.offLinkHdr.constant, slotX(ctx.offLinkHdr.slot));
    checks = index.checks;
  } else if (NETWORK_PROTOS.has(proto)) {
    const pl = ctx.offLinkPl;
    stmts = indexed(pl.constant + ctx.offNl, slotX(pl.slot));
    checks = andChecks(index.checks, protoAbbrev(ctx, proto));
  } else if (TRANSPORT_PROTOS.has(proto)) {
    const pl = ctx.offLinkPl;
    stmts = indexed(pl.constant + ctx.offNl, loadIpv4HeaderLengthX(ctx));
    const ip = linkType(ctx, ETHERTYPE.ip);
    const guard = and(protoAbbrev(ctx, proto), notLaterFragment(ctx));
    checks = and(ip, index.checks === undefined ? guard : and(index.checks, guard));
  } else if (proto === "icmp6") {
    const pl = ctx.offLinkPl;
    stmts = indexed(pl.constant + ctx.offNl + 40, slotX(pl.slot));
    const ip6 = andChecks(index.checks, linkType(ctx, ETHERTYPE.ip6));
    checks = and(ip6!, cmp(ctx, "net", 6, 1, IP_PROTOCOL_OF.icmp6!));
  } else {
    throw new FilterSemanticError(
      `unsupported index operation on '${proto === "link" ? "ether" : proto}'`,
    );
  }
  return { stmts, checks, constant: undefined, firstImmediate: index.firstImmediate };
}

function value(ctx: LowerContext, node: Arith): Value {
  switch (node.kind) {
    case "const":
      return {
        stmts: [stmt(BPF_LD | BPF_IMM, node.value)],
        checks: undefined,
        constant: node.value,
        firstImmediate: node.value,
      };
    case "len":
      return {
        stmts: [stmt(BPF_LD | BPF_W | BPF_LEN)],
        checks: undefined,
        constant: undefined,
        firstImmediate: undefined,
      };
    case "neg": {
      const v = value(ctx, node.operand);
      return { ...v, stmts: [...v.stmts, stmt(BPF_ALU | BPF_NEG)], constant: undefined };
    }
    case "load":
      return loadValue(ctx, node.proto, node.index, node.size);
    case "binary": {
      const left = value(ctx, node.left);
      const alu = BPF_ALU | ALU_OF[node.op];
      const { right, stmts } = withRight(
        ctx,
        left.stmts,
        node.right,
        (r) => stmt(alu | BPF_K, r),
        stmt(alu | BPF_X),
      );
      refuseLiteralOperand(node.op, right.firstImmediate);
      // libpcap's gen_arth keeps only the left operand's protocol checks: in
      // `len - icmp[0]` nothing requires ICMP. Reproduced for identical verdicts.
      void right.checks;
      return {
        stmts,
        checks: left.checks,
        constant: undefined,
        firstImmediate: left.firstImmediate,
      };
    }
  }
}

/**
 * Code for `left OP right` with left's code first. A constant right side
 * becomes a K operand (`withK`); otherwise left waits in a scratch slot,
 * reserved before right's code is made so right cannot reuse it, and
 * `final` runs with A = left, X = right.
 */
function withRight(
  ctx: LowerContext,
  left: RawInstruction[],
  rightNode: Arith,
  withK: (k: number) => RawInstruction | undefined,
  final: RawInstruction | undefined,
): { right: Value; stmts: RawInstruction[] } {
  if (rightNode.kind === "const") {
    const right = value(ctx, rightNode);
    const k = withK(rightNode.value);
    return { right, stmts: k === undefined ? [...left] : [...left, k] };
  }
  const slot = allocSlot(ctx);
  const right = value(ctx, rightNode);
  freeSlot(ctx, slot);
  const stmts = [
    ...left,
    stmt(BPF_ST, slot),
    ...right.stmts,
    stmt(BPF_MISC | BPF_TAX),
    stmt(BPF_LD | BPF_MEM, slot),
  ];
  if (final !== undefined) stmts.push(final);
  return { right, stmts };
}

/** `left RELOP right`. */
export function relation(ctx: LowerContext, node: Extract<Expr, { kind: "relation" }>): Cond {
  if (ctx.exactGencode) return gencodeRelation(ctx, node);
  const left = value(ctx, node.left);
  const [jump, negate] = relationJump(node.op);
  const { stmts, right } = withRight(ctx, left.stmts, node.right, () => undefined, undefined);
  const rightChecks = right.checks;
  let test = node.right.kind === "const"
    ? branch(stmts, BPF_JMP | jump | BPF_K, node.right.value)
    : branch(stmts, BPF_JMP | jump | BPF_X, 0);
  if (negate) test = not(test);
  const checks = andChecks(left.checks, rightChecks);
  return checks === undefined ? test : and(checks, test);
}

/**
 * The state lowering carries from left to right through an expression, as
 * libpcap's compiler state does: where the link-layer type field and the
 * network header are (moved by `vlan`, `mpls`, `pppoes`, `geneve`), the
 * scratch-memory slots in use, and the compile options.
 */
import type { RawInstruction } from "../../program/raw_instruction.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_H,
  BPF_IND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MSH,
  BPF_W,
} from "../../program/opcodes.ts";
import { FilterSemanticError } from "../../errors.ts";
import { and as andThen, branch, type Cond, not, stmt } from "./blocks.ts";

/** An offset in the packet: a constant, plus a scratch slot's value when `slot` is set. */
export interface Offset {
  readonly constant: number;
  readonly slot: number | undefined;
}

export interface LowerContext {
  readonly expression: string;
  readonly netmask: number | undefined;
  /**
   * Make the program libpcap's gencode.c makes, block for block: the same
   * loads, tests and jumps (relations through scratch memory, the link type
   * tested again for each host direction, port tests repeated for each
   * protocol). libpcap's optimiser starts from that program, and what it
   * proves depends on its shape (rejects_all/). Off by default: then the
   * program is smaller, and a compare whose mask is zero is left out, as
   * libpcap's optimiser leaves it out, so frames too short for that load get
   * tcpdump's verdict.
   */
  readonly exactGencode: boolean;
  /** The link-layer type field (Ethernet type / PPP protocol). */
  offLinkType: Offset;
  /** The link-layer payload (LLC header or network header). */
  offLinkPl: Offset;
  /** Network header relative to offLinkPl (grows with each MPLS label). */
  offNl: number;
  /** Network header for LLC-encapsulated protocols (after DSAP, SSAP, control). */
  offNlNoSnap: number;
  /** MPLS labels matched so far. */
  labelStackDepth: number;
  /** VLAN tags matched so far. */
  vlanStackDepth: number;
  /** After `pppoes`, the link type field holds PPP protocol numbers. */
  pppPayload: boolean;
  /** After `geneve`: offsets are those of the encapsulated frame, held in scratch slots. */
  geneve: boolean;
  /** The link-layer header (moves to the PPP header after `pppoes`). */
  offLinkHdr: Offset;
  /** Scratch slots in use. */
  readonly usedSlots: boolean[];
  /** With exactGencode, where the next slot search starts (libpcap allocates round robin). */
  nextSlot: number;
}

export function newLowerContext(
  expression: string,
  netmask: number | undefined,
  exactGencode = false,
): LowerContext {
  return {
    expression,
    netmask,
    exactGencode,
    offLinkType: { constant: 12, slot: undefined },
    offLinkPl: { constant: 14, slot: undefined },
    offNl: 0,
    offNlNoSnap: 3,
    labelStackDepth: 0,
    vlanStackDepth: 0,
    pppPayload: false,
    offLinkHdr: { constant: 0, slot: undefined },
    geneve: false,
    usedSlots: new Array<boolean>(BPF_MEMWORDS).fill(false),
    nextSlot: 0,
  };
}

export function allocSlot(ctx: LowerContext): number {
  if (ctx.exactGencode) {
    // gencode.c's alloc_reg: the first free slot from where the last search stopped.
    for (let n = 0; n < BPF_MEMWORDS; n++) {
      if (!ctx.usedSlots[ctx.nextSlot]) {
        ctx.usedSlots[ctx.nextSlot] = true;
        return ctx.nextSlot;
      }
      ctx.nextSlot = (ctx.nextSlot + 1) % BPF_MEMWORDS;
    }
  }
  const i = ctx.usedSlots.indexOf(false);
  if (i < 0) throw new FilterSemanticError("expression too complicated (out of scratch memory)");
  ctx.usedSlots[i] = true;
  return i;
}

export function freeSlot(ctx: LowerContext, slot: number): void {
  ctx.usedSlots[slot] = false;
}

/** Bases of packet offsets, libpcap's OR_* relative-offset kinds. */
export type Relative =
  | "packet" // the link-layer header (the frame start on Ethernet)
  | "linktype" // the Ethernet type / PPP protocol field
  | "linkpl" // the link-layer payload
  | "llc" // = linkpl on Ethernet
  | "net" // the network header
  | "nosnap" // the network header of an LLC (non-SNAP) protocol
  | "prevmpls" // the previous MPLS label
  | "ipv4payload" // after the IPv4 header (length from IHL)
  | "ipv6payload"; // after the fixed 40-byte IPv6 header

export const SIZE_CODE: Readonly<Record<1 | 2 | 4, number>> = { 1: BPF_B, 2: BPF_H, 4: BPF_W };

function baseOf(ctx: LowerContext, rel: Relative): Offset {
  const pl = ctx.offLinkPl;
  switch (rel) {
    case "packet":
      return ctx.offLinkHdr;
    case "linktype":
      return ctx.offLinkType;
    case "linkpl":
    case "llc":
      return pl;
    case "net":
      return { constant: pl.constant + ctx.offNl, slot: pl.slot };
    case "nosnap":
      return { constant: pl.constant + ctx.offNlNoSnap, slot: pl.slot };
    case "prevmpls":
      return { constant: pl.constant + ctx.offNl - 4, slot: pl.slot };
    case "ipv4payload":
    case "ipv6payload":
      return { constant: pl.constant + ctx.offNl, slot: pl.slot };
  }
}

/**
 * Statements that set X to the IPv4 header length plus any variable part of
 * the network offset (libpcap's gen_loadx_iphdrlen).
 */
export function loadIpv4HeaderLengthX(ctx: LowerContext): RawInstruction[] {
  const net = baseOf(ctx, "net");
  if (net.slot === undefined) return [stmt(BPF_LDX | BPF_MSH | BPF_B, net.constant)];
  return [
    stmt(BPF_LDX | BPF_MEM, net.slot),
    stmt(BPF_LD | BPF_IND | BPF_B, net.constant),
    stmt(BPF_ALU | BPF_AND | BPF_K, 0xf),
    stmt(BPF_ALU | 0x60 /* LSH */ | BPF_K, 2),
    stmt(BPF_ALU | 0x00 /* ADD */ | 0x08 /* X */),
    stmt(0x07 /* MISC|TAX */),
  ];
}

/** Statements loading `size` bytes at `offset` from `rel` into A (gen_load_a). */
export function load(
  ctx: LowerContext,
  rel: Relative,
  offset: number,
  size: 1 | 2 | 4,
): RawInstruction[] {
  const base = baseOf(ctx, rel);
  const code = SIZE_CODE[size];
  if (rel === "ipv4payload") {
    return [...loadIpv4HeaderLengthX(ctx), stmt(BPF_LD | BPF_IND | code, base.constant + offset)];
  }
  const extra = rel === "ipv6payload" ? 40 : 0;
  if (base.slot === undefined) {
    return [stmt(BPF_LD | BPF_ABS | code, base.constant + extra + offset)];
  }
  return [
    stmt(BPF_LDX | BPF_MEM, base.slot),
    stmt(BPF_LD | BPF_IND | code, base.constant + extra + offset),
  ];
}

/** `field == value` (gen_cmp). */
export function cmp(
  ctx: LowerContext,
  rel: Relative,
  offset: number,
  size: 1 | 2 | 4,
  value: number,
): Cond {
  return branch(load(ctx, rel, offset, size), BPF_JMP | BPF_JEQ | BPF_K, value);
}

/** `field & mask == value` (gen_mcmp). */
export function maskedCmp(
  ctx: LowerContext,
  rel: Relative,
  offset: number,
  size: 1 | 2 | 4,
  value: number,
  mask: number,
): Cond {
  const stmts = load(ctx, rel, offset, size);
  if (mask >>> 0 !== 0xffffffff) stmts.push(stmt(BPF_ALU | BPF_AND | BPF_K, mask));
  return branch(stmts, BPF_JMP | BPF_JEQ | BPF_K, value);
}

/** `field > value`. */
export function cmpGreater(
  ctx: LowerContext,
  rel: Relative,
  offset: number,
  size: 1 | 2 | 4,
  value: number,
): Cond {
  return branch(load(ctx, rel, offset, size), BPF_JMP | BPF_JGT | BPF_K, value);
}

/** `field >= value`. */
export function cmpAtLeast(
  ctx: LowerContext,
  rel: Relative,
  offset: number,
  size: 1 | 2 | 4,
  value: number,
): Cond {
  return branch(load(ctx, rel, offset, size), BPF_JMP | BPF_JGE | BPF_K, value);
}

/** `field <= value`. */
export function cmpAtMost(
  ctx: LowerContext,
  rel: Relative,
  offset: number,
  size: 1 | 2 | 4,
  value: number,
): Cond {
  return not(cmpGreater(ctx, rel, offset, size, value));
}

/** Compares `bytes` at `offset` from `rel`, last word first (gen_bcmp). */
export function bytesCmp(
  ctx: LowerContext,
  rel: Relative,
  offset: number,
  bytes: Uint8Array,
): Cond {
  let result: Cond | undefined;
  let size = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const push = (c: Cond) => {
    result = result === undefined ? c : andThen(result, c);
  };
  while (size >= 4) {
    push(cmp(ctx, rel, offset + size - 4, 4, view.getUint32(size - 4)));
    size -= 4;
  }
  while (size >= 2) {
    push(cmp(ctx, rel, offset + size - 2, 2, view.getUint16(size - 2)));
    size -= 2;
  }
  if (size > 0) push(cmp(ctx, rel, offset, 1, view.getUint8(0)));
  if (result === undefined) throw new Error("bytesCmp of zero bytes");
  return result;
}

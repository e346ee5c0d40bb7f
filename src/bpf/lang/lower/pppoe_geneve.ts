/**
 * `pppoed`, `pppoes [ID]` and `geneve [VNI]`. After `pppoes` the link type
 * field is the PPP protocol field and the payload follows it; after `geneve`
 * the link-layer header, type field and payload of the encapsulated frame
 * are at offsets computed at run time and kept in scratch slots. Either way
 * every later primitive looks inside (libpcap semantics).
 */
import { FilterRangeError } from "../../errors.ts";
import type { RawInstruction } from "../../program/raw_instruction.ts";
import {
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MISC,
  BPF_MUL,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_X,
} from "../../program/opcodes.ts";
import { always, and, branch, type Cond, or, stmt } from "./blocks.ts";
import { allocSlot, loadIpv4HeaderLengthX, type LowerContext, maskedCmp } from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";
import { IPPROTO, portRangeV4, portRangeV6 } from "./transport.ts";

const GENEVE_PORT = 6081;
const ETHERTYPE_TEB = 0x6558;

export function pppoed(ctx: LowerContext): Cond {
  return linkType(ctx, ETHERTYPE.pppoed);
}

export function pppoes(ctx: LowerContext, session: number | undefined): Cond {
  let cond = linkType(ctx, ETHERTYPE.pppoes);
  if (session !== undefined) {
    if (session > 0xffff) {
      throw new FilterRangeError(`PPPoE session number ${session} greater than maximum 65535`);
    }
    cond = and(cond, maskedCmp(ctx, "linkpl", 0, 4, session, 0xffff));
  }
  // The PPP header sits 6 bytes into the PPPoE header; its protocol field is the new link type.
  const pl = ctx.offLinkPl;
  const header = { constant: pl.constant + ctx.offNl + 6, slot: pl.slot };
  ctx.offLinkHdr = header;
  ctx.offLinkType = header;
  ctx.offLinkPl = { constant: header.constant + 2, slot: header.slot };
  ctx.offNl = 0;
  ctx.offNlNoSnap = 0;
  ctx.pppPayload = true;
  return cond;
}

/** UDP to port 6081, Geneve version 0, and the VNI if given (gen_geneve_check). */
function genevePacket(ctx: LowerContext, version: 4 | 6, vni: number | undefined): Cond {
  const rel = version === 4 ? "ipv4payload" : "ipv6payload";
  const port = version === 4
    ? portRangeV4(ctx, GENEVE_PORT, GENEVE_PORT, IPPROTO.udp, "dst")
    : portRangeV6(ctx, GENEVE_PORT, GENEVE_PORT, IPPROTO.udp, "dst");
  let cond = and(port, maskedCmp(ctx, rel, 8, 1, 0, 0xc0));
  if (vni !== undefined) cond = and(cond, maskedCmp(ctx, rel, 12, 4, (vni << 8) >>> 0, 0xffffff00));
  return cond;
}

/** Leaves the network header length in A (a test that always holds, carrying the statements). */
function networkHeaderLength(ctx: LowerContext, version: 4 | 6): Cond {
  const stmts: RawInstruction[] = version === 4
    ? [...loadIpv4HeaderLengthX(ctx), stmt(BPF_MISC | BPF_TXA)]
    : ctx.offLinkPl.slot !== undefined
    ? [
      stmt(BPF_LDX | BPF_MEM, ctx.offLinkPl.slot),
      stmt(BPF_LD | BPF_IMM, 40),
      stmt(BPF_ALU | BPF_ADD | BPF_X),
    ]
    : [stmt(BPF_LD | BPF_IMM, 40)];
  if (version === 6) stmts.push(stmt(BPF_MISC | BPF_TAX));
  return branch(stmts, BPF_JMP | BPF_JEQ | BPF_X, 0);
}

export function geneve(ctx: LowerContext, vni: number | undefined): Cond {
  if (vni !== undefined && vni > 0xffffff) {
    throw new FilterRangeError(`Geneve VNI ${vni} greater than maximum 16777215`);
  }
  const v4 = and(genevePacket(ctx, 4, vni), networkHeaderLength(ctx, 4));
  const matched = or(v4, and(genevePacket(ctx, 6, vni), networkHeaderLength(ctx, 6)));
  // With A = network header length: where the Geneve header, the inner type
  // field, and the inner payload are (gen_geneve_offsets).
  const typeSlot = allocSlot(ctx);
  const headerSlot = allocSlot(ctx);
  const payloadSlot = allocSlot(ctx);
  const offsets: RawInstruction[] = [
    stmt(BPF_ALU | BPF_ADD | BPF_K, ctx.offLinkPl.constant + ctx.offNl + 8),
    stmt(BPF_MISC | BPF_TAX),
    stmt(BPF_ALU | BPF_ADD | BPF_K, 2),
    stmt(BPF_ST, typeSlot),
    stmt(BPF_LD | BPF_IND | BPF_B, 0),
    stmt(BPF_ALU | BPF_AND | BPF_K, 0x3f),
    stmt(BPF_ALU | BPF_MUL | BPF_K, 4),
    stmt(BPF_ALU | BPF_ADD | BPF_K, 8),
    stmt(BPF_ALU | BPF_ADD | BPF_X),
    stmt(BPF_ST, headerSlot),
    stmt(BPF_LD | BPF_IND | BPF_H, 2),
    stmt(BPF_LDX | BPF_MEM, headerSlot),
    // Transparent Ethernet Bridging: the type field and payload follow an inner Ethernet header.
    { code: BPF_JMP | BPF_JEQ | BPF_K, jt: 0, jf: 5, k: ETHERTYPE_TEB },
    stmt(BPF_MISC | BPF_TXA),
    stmt(BPF_ALU | BPF_ADD | BPF_K, 12),
    stmt(BPF_ST, typeSlot),
    stmt(BPF_ALU | BPF_ADD | BPF_K, 2),
    stmt(BPF_MISC | BPF_TAX),
    stmt(BPF_STX, payloadSlot),
  ];
  const truth = always().head;
  const withOffsets = branch([...offsets, ...truth.stmts], truth.code, truth.k);
  ctx.offLinkHdr = { constant: 0, slot: headerSlot };
  ctx.offLinkType = { constant: 0, slot: typeSlot };
  ctx.offLinkPl = { constant: 0, slot: payloadSlot };
  ctx.offNl = 0;
  ctx.offNlNoSnap = 3;
  ctx.pppPayload = false;
  ctx.geneve = true;
  return and(matched, withOffsets);
}

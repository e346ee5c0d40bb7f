/**
 * OSI protocols over 802.2 LLC: `iso`, `clnp`, `esis`, `isis` and the IS-IS
 * levels and PDU types (`l1`, `l2`, `iih`, `lsp`, `snp`, `csnp`, `psnp`).
 */
import { and, any, type Cond, or } from "./blocks.ts";
import { cmp, type LowerContext } from "./context.ts";
import { linkType, LLCSAP } from "./ether.ts";

export const ISO_PROTO = { clnp: 0x81, esis: 0x82, isis: 0x83 } as const;

/** IS-IS PDU types each keyword selects (libpcap gen_proto_abbrev). */
const ISIS_PDU_TYPES: Readonly<Record<string, readonly number[]>> = {
  l1: [0x0f, 0x11, 0x12, 0x18, 0x1a],
  l2: [0x10, 0x11, 0x14, 0x19, 0x1b],
  iih: [0x0f, 0x10, 0x11],
  lsp: [0x12, 0x14],
  snp: [0x18, 0x19, 0x1a, 0x1b],
  csnp: [0x18, 0x19],
  psnp: [0x1a, 0x1b],
};

/** `iso proto N`: the network-layer protocol identifier after the LLC header. */
export function isoProto(ctx: LowerContext, proto: number): Cond {
  return and(linkType(ctx, LLCSAP.iso), cmp(ctx, "nosnap", 0, 1, proto));
}

/** `isis proto N`: the IS-IS PDU type. */
export function isisPduType(ctx: LowerContext, type: number): Cond {
  return and(isoProto(ctx, ISO_PROTO.isis), cmp(ctx, "nosnap", 4, 1, type));
}

export function isIsisLevel(keyword: string): boolean {
  return keyword in ISIS_PDU_TYPES;
}

/** `l1`, `l2`, `iih`, `lsp`, `snp`, `csnp`, `psnp`. */
export function isisLevel(ctx: LowerContext, keyword: string): Cond {
  const types = ISIS_PDU_TYPES[keyword] ?? [];
  if (!ctx.exactGencode) return any(...types.map((t) => isisPduType(ctx, t)));
  // gencode.c ors each further type in front: the last listed is tested first.
  const [first, second, ...rest] = types.map((t) => () => isisPduType(ctx, t));
  let cond = or(first!(), second!());
  for (const next of rest) cond = or(next(), cond);
  return cond;
}

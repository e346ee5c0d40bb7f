/**
 * `decnet [src|dst] host AREA.NODE` (libpcap gen_dnhostop): the DECnet
 * routing header comes in four forms (long or short, with or without a pad
 * byte), so each address is tried at four offsets.
 */
import { FilterSemanticError } from "../../errors.ts";
import type { DirQualifier } from "../ast.ts";
import { and, type Cond, or } from "./blocks.ts";
import { cmp, type LowerContext, maskedCmp } from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";

/** A DECnet address `AREA.NODE` as libpcap's __pcap_atodn packs it. */
export function parseDecnetAddress(text: string): number {
  const m = /^(\d+)\.(\d+)/.exec(text);
  if (m === null) throw new FilterSemanticError(`malformed decnet address '${text}'`);
  return ((Number(m[1]) << 10) & 0xfc00) | (Number(m[2]) & 0x3ff);
}

/** The 16-bit value as the wire holds it: little-endian, so the bytes swap for a big-endian load. */
const swap16 = (v: number) => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);

function oneDirection(
  ctx: LowerContext,
  addr: number,
  longOffset: number,
  shortOffset: number,
): Cond {
  const a = swap16(addr & 0xffff);
  const type = linkType(ctx, ETHERTYPE.decnet);
  const padLong = and(
    maskedCmp(ctx, "linkpl", 2, 2, 0x8106, 0xff07),
    cmp(ctx, "linkpl", 3 + longOffset, 2, a),
  );
  const noPadLong = and(
    maskedCmp(ctx, "linkpl", 2, 1, 0x06, 0x07),
    cmp(ctx, "linkpl", 2 + longOffset, 2, a),
  );
  const padShort = and(
    maskedCmp(ctx, "linkpl", 2, 2, 0x8102, 0xff07),
    cmp(ctx, "linkpl", 3 + shortOffset, 2, a),
  );
  const noPadShort = and(
    maskedCmp(ctx, "linkpl", 2, 1, 0x02, 0x07),
    cmp(ctx, "linkpl", 2 + shortOffset, 2, a),
  );
  // libpcap ORs each new form in front of the ones before it.
  return and(type, or(noPadShort, or(padShort, or(noPadLong, padLong))));
}

export function decnetHost(ctx: LowerContext, addr: number, dir: DirQualifier): Cond {
  switch (dir) {
    case "src":
      return oneDirection(ctx, addr, 15, 3);
    case "dst":
      return oneDirection(ctx, addr, 7, 1);
    case "and": {
      const src = decnetHost(ctx, addr, "src");
      return and(src, decnetHost(ctx, addr, "dst"));
    }
    default: {
      const src = decnetHost(ctx, addr, "src");
      return or(src, decnetHost(ctx, addr, "dst"));
    }
  }
}

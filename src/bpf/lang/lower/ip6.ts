/**
 * IPv6 primitives: `ip6 host`/`ip6 net` (word by word, skipping words the
 * mask ignores), `ip6 proto` (also behind one fragment header, as libpcap
 * 1.10 does) and `ip6 multicast`.
 */
import { FilterRangeError, FilterSemanticError } from "../../errors.ts";
import type { DirQualifier } from "../ast.ts";
import { all, always, and, type Cond, or } from "./blocks.ts";
import { cmp, type LowerContext, maskedCmp } from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";
import { byDirection } from "./ip.ts";

const IPPROTO_FRAGMENT = 44;

function words(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return [0, 4, 8, 12].map((i) => view.getUint32(i));
}

/** The 16-byte mask of a prefix length. */
export function ipv6PrefixMask(bits: number): Uint8Array {
  if (bits > 128) throw new FilterRangeError("mask length must be <= 128");
  const mask = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const take = Math.max(0, Math.min(8, bits - 8 * i));
    mask[i] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
  }
  return mask;
}

/** `[ip6] [dir] host|net ADDR6[/BITS]` (gen_host6, gen_hostop6). */
export function ipv6Host(
  ctx: LowerContext,
  addr: Uint8Array,
  mask: Uint8Array,
  proto: string | undefined,
  dir: DirQualifier,
  what: "host" | "net",
): Cond {
  if (proto !== undefined && proto !== "ip6") {
    if (proto === "ip") throw new FilterSemanticError(`'ip' modifier applied to ip6 ${what}`);
    if (proto === "link") {
      throw new FilterSemanticError(`link-layer modifier applied to ip6 ${what}`);
    }
    throw new FilterSemanticError(`'${proto}' modifier applied to ip6 ${what}`);
  }
  const a = words(addr);
  const m = words(mask);
  // libpcap's optimiser drops the words a short prefix masks out entirely (see
  // LowerContext.exactGencode); at least one test remains so the result is a condition.
  const at = (offset: number) => () => {
    const words = [0, 1, 2, 3].filter((i) => ctx.exactGencode || m[i] !== 0);
    if (words.length === 0) return always();
    return all(...words.map((i) => maskedCmp(ctx, "net", offset + 4 * i, 4, a[i]!, m[i]!)));
  };
  // gencode.c tests the link type again for each direction.
  if (ctx.exactGencode) {
    const each = (offset: number) => () => and(linkType(ctx, ETHERTYPE.ip6), at(offset)());
    return byDirection(dir, each(8), each(24));
  }
  return and(linkType(ctx, ETHERTYPE.ip6), byDirection(dir, at(8), at(24)));
}

/** `ip6 proto N`: the next header, or the one after a fragment header. */
export function ip6Proto(ctx: LowerContext, proto: number): Cond {
  const type = linkType(ctx, ETHERTYPE.ip6);
  const direct = cmp(ctx, "net", 6, 1, proto);
  const fragmented = and(cmp(ctx, "net", 6, 1, IPPROTO_FRAGMENT), cmp(ctx, "net", 40, 1, proto));
  return and(type, or(direct, fragmented));
}

export function ip6Multicast(ctx: LowerContext): Cond {
  return and(linkType(ctx, ETHERTYPE.ip6), cmp(ctx, "net", 24, 1, 255));
}

/** Checks a parsed IPv6 network: prefix within 128 and no host bits set. */
export function ipv6Network(addr: Uint8Array, bits: number, text: string): Uint8Array {
  const mask = ipv6PrefixMask(bits);
  for (let i = 0; i < 16; i++) {
    if ((addr[i]! & ~mask[i]!) !== 0) {
      throw new FilterSemanticError(`non-network bits set in "${text}/${bits}"`);
    }
  }
  return mask;
}

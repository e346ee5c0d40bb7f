/**
 * IPv4 primitives: `host`/`net` (also for ARP/RARP addresses), `ip proto`,
 * `ip broadcast`/`ip multicast`, and the not-a-later-fragment test that
 * guards every transport-header access (libpcap gen_host, gen_hostop,
 * gen_ipfrag).
 */
import { FilterRangeError, FilterSemanticError } from "../../errors.ts";
import { BPF_JGE, BPF_JMP, BPF_JSET, BPF_K } from "../../program/opcodes.ts";
import type { DirQualifier } from "../ast.ts";
import { always, and, branch, type Cond, not, or } from "./blocks.ts";
import { cmp, load, type LowerContext, maskedCmp } from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";

/** Applies a direction to a source test and a destination test (`src or dst` by default). */
export function byDirection(dir: DirQualifier, src: () => Cond, dst: () => Cond): Cond {
  switch (dir) {
    case "src":
      return src();
    case "dst":
      return dst();
    case "and":
      return and(src(), dst());
    default:
      return or(src(), dst());
  }
}

function hostOp(
  ctx: LowerContext,
  addr: number,
  mask: number,
  dir: DirQualifier,
  proto: number,
  srcOffset: number,
  dstOffset: number,
): Cond {
  // A zero mask always matches: libpcap's optimiser drops that load (see LowerContext.exactGencode).
  const at = (offset: number) => () =>
    mask === 0 && !ctx.exactGencode ? always() : maskedCmp(ctx, "net", offset, 4, addr, mask);
  // gencode.c tests the link type again for each direction.
  if (ctx.exactGencode) {
    const each = (offset: number) => () => and(linkType(ctx, proto), at(offset)());
    return byDirection(dir, each(srcOffset), each(dstOffset));
  }
  return and(linkType(ctx, proto), byDirection(dir, at(srcOffset), at(dstOffset)));
}

/** `[ip|arp|rarp] [dir] host|net ADDR[/MASK]` (gen_host for IPv4 addresses). */
export function ipv4Host(
  ctx: LowerContext,
  addr: number,
  mask: number,
  proto: string | undefined,
  dir: DirQualifier,
  what: "host" | "net",
): Cond {
  switch (proto) {
    case undefined:
      // Under MPLS only IPv4 can be recognised, so ARP and RARP drop out (libpcap 1.10).
      if (ctx.labelStackDepth > 0) return ipv4Host(ctx, addr, mask, "ip", dir, what);
      return or(
        or(ipv4Host(ctx, addr, mask, "ip", dir, what), ipv4Host(ctx, addr, mask, "arp", dir, what)),
        ipv4Host(ctx, addr, mask, "rarp", dir, what),
      );
    case "ip":
      return hostOp(ctx, addr, mask, dir, ETHERTYPE.ip, 12, 16);
    case "arp":
      return hostOp(ctx, addr, mask, dir, ETHERTYPE.arp, 14, 24);
    case "rarp":
      return hostOp(ctx, addr, mask, dir, ETHERTYPE.rarp, 14, 24);
    case "link":
      throw new FilterSemanticError(`link-layer modifier applied to ${what}`);
    case "ip6":
      throw new FilterSemanticError(`'ip6' modifier applied to ip ${what}`);
    default:
      throw new FilterSemanticError(`'${proto}' modifier applied to ${what}`);
  }
}

/** Not a fragment other than the first: the fragment offset is zero. */
export function notLaterFragment(ctx: LowerContext): Cond {
  return not(branch(load(ctx, "net", 6, 2), BPF_JMP | BPF_JSET | BPF_K, 0x1fff));
}

/** `ip proto N`. */
export function ipProto(ctx: LowerContext, proto: number): Cond {
  return and(linkType(ctx, ETHERTYPE.ip), cmp(ctx, "net", 9, 1, proto));
}

/** `ip broadcast`: destination host part all zeros or all ones under the netmask. */
export function ipBroadcast(ctx: LowerContext): Cond {
  if (ctx.netmask === undefined) {
    throw new FilterSemanticError(
      "netmask not known, so 'ip broadcast' not supported (give --netmask)",
    );
  }
  const hostMask = ~ctx.netmask >>> 0;
  const type = linkType(ctx, ETHERTYPE.ip);
  return and(
    type,
    or(maskedCmp(ctx, "net", 16, 4, 0, hostMask), maskedCmp(ctx, "net", 16, 4, hostMask, hostMask)),
  );
}

export function ipMulticast(ctx: LowerContext): Cond {
  return and(
    linkType(ctx, ETHERTYPE.ip),
    branch(load(ctx, "net", 16, 1), BPF_JMP | BPF_JGE | BPF_K, 224),
  );
}

/**
 * Dotted IPv4 text with 1 to 4 parts as libpcap's __pcap_atoin reads it:
 * the value of the parts given, and how many bits they cover.
 */
export function parseDottedIpv4(text: string): { value: number; bits: number } {
  const parts = text.split(".");
  let value = 0;
  for (const part of parts) {
    // No RegExp: V8 compiles one on its first use, a large part of a process's first compile.
    const hex = part.length > 1 && part[0] === "0" && (part[1] === "x" || part[1] === "X");
    const n = hex ? parseInt(part, 16) : parseInt(part, 10);
    if (!(n >= 0 && n <= 255)) throw new FilterSemanticError(`invalid IPv4 address '${text}'`);
    value = ((value << 8) | n) >>> 0;
  }
  return { value, bits: 8 * parts.length };
}

/** Mask of `bits` leading ones. */
export function prefixMask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** `ADDR/BITS` and `ADDR mask MASK` (gen_mcode): only with `net`. */
export function ipv4Network(
  text: string,
  bits: number | undefined,
  maskText: string | undefined,
): { addr: number; mask: number } {
  const n = parseDottedIpv4(text);
  const addr = n.bits === 32 ? n.value : (n.value << (32 - n.bits)) >>> 0;
  let mask: number;
  if (maskText !== undefined) {
    const m = parseDottedIpv4(maskText);
    mask = m.bits === 32 ? m.value : (m.value << (32 - m.bits)) >>> 0;
    if ((addr & ~mask) >>> 0 !== 0) {
      throw new FilterSemanticError(`non-network bits set in "${text} mask ${maskText}"`);
    }
  } else {
    if (bits === undefined || bits > 32) throw new FilterRangeError("mask length must be <= 32");
    mask = prefixMask(bits);
    if ((addr & ~mask) >>> 0 !== 0) {
      throw new FilterSemanticError(`non-network bits set in "${text}/${bits}"`);
    }
  }
  return { addr, mask };
}

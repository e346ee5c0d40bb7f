/**
 * TCP/UDP/SCTP ports and port ranges over IPv4 (after a variable-length
 * header, first fragments only) and IPv6 (fixed 40-byte header), as
 * libpcap's gen_port/gen_port6 and gen_portrange/gen_portrange6.
 */
import type { DirQualifier } from "../ast.ts";
import { and, type Cond, not, or } from "./blocks.ts";
import { cmp, cmpAtLeast, cmpGreater, type LowerContext } from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";
import { byDirection, notLaterFragment } from "./ip.ts";

export const IPPROTO = { tcp: 6, udp: 17, sctp: 132 } as const;

/** A port test at `offset` in the transport header (0 source, 2 destination). */
type PortAtom = (rel: "ipv4payload" | "ipv6payload", offset: number) => Cond;

function portAtom(ctx: LowerContext, low: number, high: number, range: boolean): PortAtom {
  // gencode.c tests a range as a range even when it is one port.
  if (low === high && !(range && ctx.exactGencode)) {
    return (rel, offset) => cmp(ctx, rel, offset, 2, low);
  }
  return (rel, offset) =>
    and(cmpAtLeast(ctx, rel, offset, 2, low), not(cmpGreater(ctx, rel, offset, 2, high)));
}

/**
 * The IP protocol test: one protocol, or SCTP, TCP or UDP (libpcap's order).
 * libpcap repeats the fragment and port tests after each of the three; as
 * only one protocol can match and the tests after it are the same, testing
 * them once after the three gives the same verdict, with the same loads, on
 * every packet, in a third of the code. With exactGencode they are repeated
 * (`eachProtocol`), as libpcap's optimiser starts from that program.
 */
function protocolTest(ctx: LowerContext, offset: number, proto: number | undefined): Cond {
  if (proto !== undefined) return cmp(ctx, "net", offset, 1, proto);
  const sctp = cmp(ctx, "net", offset, 1, IPPROTO.sctp);
  return or(
    sctp,
    or(cmp(ctx, "net", offset, 1, IPPROTO.tcp), cmp(ctx, "net", offset, 1, IPPROTO.udp)),
  );
}

/** gen_port's `tcp or udp or sctp` when no protocol is given, each with its own tests. */
function eachProtocol(op: (proto: number) => Cond): Cond {
  return or(op(IPPROTO.sctp), or(op(IPPROTO.tcp), op(IPPROTO.udp)));
}

function portOp4(
  ctx: LowerContext,
  atom: PortAtom,
  proto: number | undefined,
  dir: DirQualifier,
): Cond {
  if (proto === undefined && ctx.exactGencode) {
    return eachProtocol((p) => portOp4(ctx, atom, p, dir));
  }
  const guard = and(protocolTest(ctx, 9, proto), notLaterFragment(ctx));
  return and(guard, byDirection(dir, () => atom("ipv4payload", 0), () => atom("ipv4payload", 2)));
}

function portOp6(
  ctx: LowerContext,
  atom: PortAtom,
  proto: number | undefined,
  dir: DirQualifier,
): Cond {
  if (proto === undefined && ctx.exactGencode) {
    return eachProtocol((p) => portOp6(ctx, atom, p, dir));
  }
  const guard = protocolTest(ctx, 6, proto);
  return and(guard, byDirection(dir, () => atom("ipv6payload", 0), () => atom("ipv6payload", 2)));
}

/**
 * `[tcp|udp|sctp] [dir] port N` and `portrange LOW-HIGH` (`range`): IPv6
 * first, then IPv4, as libpcap orders them.
 */
export function portRange(
  ctx: LowerContext,
  low: number,
  high: number,
  proto: number | undefined,
  dir: DirQualifier,
  range = false,
): Cond {
  if (low > high) [low, high] = [high, low];
  return or(
    portRangeV6(ctx, low, high, proto, dir, range),
    portRangeV4(ctx, low, high, proto, dir, range),
  );
}

/** The IPv4 half of `portRange` (libpcap gen_port / gen_portrange). */
export function portRangeV4(
  ctx: LowerContext,
  low: number,
  high: number,
  proto: number | undefined,
  dir: DirQualifier,
  range = false,
): Cond {
  const atom = portAtom(ctx, low, high, range);
  return and(linkType(ctx, ETHERTYPE.ip), portOp4(ctx, atom, proto, dir));
}

/** The IPv6 half of `portRange` (libpcap gen_port6 / gen_portrange6). */
export function portRangeV6(
  ctx: LowerContext,
  low: number,
  high: number,
  proto: number | undefined,
  dir: DirQualifier,
  range = false,
): Cond {
  const atom = portAtom(ctx, low, high, range);
  return and(linkType(ctx, ETHERTYPE.ip6), portOp6(ctx, atom, proto, dir));
}

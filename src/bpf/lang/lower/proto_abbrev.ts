/**
 * Bare protocol names (`tcp`, `ip6`, `stp`, ...) and `PROTO proto N`
 * (libpcap gen_proto_abbrev and gen_proto), with libpcap's refusals of
 * combinations that mean nothing (`tcp proto 6`).
 */
import { FilterSemanticError } from "../../errors.ts";
import { type Cond, or } from "./blocks.ts";
import type { LowerContext } from "./context.ts";
import { ETHERTYPE, linkType, LLCSAP } from "./ether.ts";
import { ipProto } from "./ip.ts";
import { ip6Proto } from "./ip6.ts";
import { isIsisLevel, isisLevel, isisPduType, ISO_PROTO, isoProto } from "./iso.ts";
import { IPPROTO } from "./transport.ts";

/** IP protocol numbers of the names that mean "this IP protocol". */
export const IP_PROTOCOL_OF: Readonly<Record<string, number>> = {
  tcp: IPPROTO.tcp,
  udp: IPPROTO.udp,
  sctp: IPPROTO.sctp,
  icmp: 1,
  igmp: 2,
  igrp: 9,
  pim: 103,
  vrrp: 112,
  carp: 112,
  icmp6: 58,
  ah: 51,
  esp: 50,
};

/** Ethernet types and SAPs of the link-level protocol names. */
const LINK_PROTOCOL_OF: Readonly<Record<string, number>> = {
  ip: ETHERTYPE.ip,
  arp: ETHERTYPE.arp,
  rarp: ETHERTYPE.rarp,
  ip6: ETHERTYPE.ip6,
  atalk: ETHERTYPE.atalk,
  aarp: ETHERTYPE.aarp,
  decnet: ETHERTYPE.decnet,
  sca: ETHERTYPE.sca,
  lat: ETHERTYPE.lat,
  mopdl: ETHERTYPE.mopdl,
  moprc: ETHERTYPE.moprc,
  iso: LLCSAP.iso,
  stp: LLCSAP.stp,
  ipx: LLCSAP.ipx,
  netbeui: LLCSAP.netbeui,
};

/** `ip proto N or ip6 proto N` (IPv4 first). */
export function anyIpProto(ctx: LowerContext, proto: number): Cond {
  return or(ipProto(ctx, proto), ip6Proto(ctx, proto));
}

/** A bare protocol name. */
export function protoAbbrev(ctx: LowerContext, name: string): Cond {
  switch (name) {
    case "tcp":
    case "udp":
    case "sctp":
    case "pim":
    case "ah":
    case "esp":
      return anyIpProto(ctx, IP_PROTOCOL_OF[name]!);
    case "icmp":
    case "igmp":
    case "igrp":
    case "vrrp":
    case "carp":
      return ipProto(ctx, IP_PROTOCOL_OF[name]!);
    case "icmp6":
      return ip6Proto(ctx, IP_PROTOCOL_OF[name]!);
    case "esis":
    case "clnp":
    case "isis":
      return isoProto(ctx, ISO_PROTO[name]);
    case "link":
      throw new FilterSemanticError("link layer applied in wrong context");
    case "radio":
      throw new FilterSemanticError("'radio' is not supported on Ethernet captures");
  }
  if (isIsisLevel(name)) return isisLevel(ctx, name);
  const link = LINK_PROTOCOL_OF[name];
  if (link === undefined) throw new FilterSemanticError(`unknown protocol '${name}'`);
  return linkType(ctx, link);
}

/** `[PROTO] proto N` (gen_proto). */
export function protoNumber(ctx: LowerContext, value: number, proto: string | undefined): Cond {
  switch (proto) {
    case undefined:
      return anyIpProto(ctx, value);
    case "link":
      return linkType(ctx, value);
    case "ip":
      return ipProto(ctx, value);
    case "ip6":
      return ip6Proto(ctx, value);
    case "iso":
      return isoProto(ctx, value);
    case "isis":
      return isisPduType(ctx, value);
    case "arp":
    case "rarp":
      throw new FilterSemanticError(`${proto} does not encapsulate another protocol`);
    default:
      throw new FilterSemanticError(`'${proto} proto' is bogus`);
  }
}

/** Protocols `proto[index]` may name: at the network layer (indexed from its header)... */
export const NETWORK_PROTOS: ReadonlySet<string> = new Set([
  "ip",
  "arp",
  "rarp",
  "atalk",
  "decnet",
  "sca",
  "lat",
  "moprc",
  "mopdl",
  "ip6",
]);
/** ...and at the transport layer (indexed from the end of the IPv4 header). */
export const TRANSPORT_PROTOS: ReadonlySet<string> = new Set([
  "sctp",
  "tcp",
  "udp",
  "icmp",
  "igmp",
  "igrp",
  "pim",
  "vrrp",
  "carp",
]);

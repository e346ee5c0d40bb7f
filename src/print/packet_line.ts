/**
 * One text line per packet in the spirit of `tcpdump -nn -tt --nano`:
 * timestamp, protocol, addresses and ports, and a length — for Ethernet,
 * 802.1Q, ARP, IPv4, IPv6, TCP, UDP, ICMP and ICMPv6. Used by `fmagent demo`
 * and `fmagent consume --print`. Not a hot path: it builds strings.
 */
import { LINKTYPE_ETHERNET } from "../pcap/link_type.ts";
import { formatEpoch } from "../pcap/timestamp.ts";
import { formatIpv4, formatIpv6, formatMac } from "./addresses.ts";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TPIDS = new Set([0x8100, 0x88a8, 0x9100]);

/** Reads a big-endian u16 at `at`, or -1 past `end`. */
function u16(b: Uint8Array, at: number, end: number): number {
  return at + 2 <= end ? ((b[at]! << 8) | b[at + 1]!) : -1;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function formatPacketLine(
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
  sec: number,
  nsec: number,
  linkType: number,
): string {
  const stamp = formatEpoch(sec, nsec);
  if (linkType !== LINKTYPE_ETHERNET) return `${stamp} link-type ${linkType}, length ${wirelen}`;
  return `${stamp} ${describeEthernet(bytes, offset, offset + caplen, wirelen)}`;
}

function describeEthernet(b: Uint8Array, at: number, end: number, wirelen: number): string {
  if (end - at < 14) return `[|ether] length ${wirelen}`;
  let type = u16(b, at + 12, end);
  let next = at + 14;
  let prefix = "";
  while (VLAN_TPIDS.has(type)) {
    const tci = u16(b, next, end);
    type = u16(b, next + 2, end);
    if (tci < 0 || type < 0) return `${prefix}[|vlan] length ${wirelen}`;
    prefix += `vlan ${tci & 0xfff}, `;
    next += 4;
  }
  switch (type) {
    case ETHERTYPE_IPV4:
      return prefix + describeIpv4(b, next, end);
    case ETHERTYPE_IPV6:
      return prefix + describeIpv6(b, next, end);
    case ETHERTYPE_ARP:
      return prefix + describeArp(b, next, end);
    default:
      if (type <= 1500) return `${prefix}802.3, length ${type}`;
      return `${prefix}ethertype 0x${type.toString(16).padStart(4, "0")}, length ${wirelen}`;
  }
}

function describeArp(b: Uint8Array, at: number, end: number): string {
  const length = end - at;
  if (length < 28 || u16(b, at, end) !== 1 || u16(b, at + 2, end) !== ETHERTYPE_IPV4) {
    return `ARP, length ${length}`;
  }
  const op = u16(b, at + 6, end);
  const senderIp = formatIpv4(b, at + 14);
  const targetIp = formatIpv4(b, at + 24);
  if (op === 1) return `ARP, Request who-has ${targetIp} tell ${senderIp}, length ${length}`;
  if (op === 2) return `ARP, Reply ${senderIp} is-at ${formatMac(b, at + 8)}, length ${length}`;
  return `ARP, op ${op}, length ${length}`;
}

function describeIpv4(b: Uint8Array, at: number, end: number): string {
  if (end - at < 20 || b[at]! >> 4 !== 4) return "IP [|ip]";
  const headerLength = (b[at]! & 0x0f) * 4;
  const totalLength = u16(b, at + 2, end);
  const fragment = u16(b, at + 6, end);
  const protocol = b[at + 9]!;
  const src = formatIpv4(b, at + 12);
  const dst = formatIpv4(b, at + 16);
  const payloadLength = Math.max(0, totalLength - headerLength);
  const payloadEnd = Math.min(end, at + totalLength);
  if ((fragment & 0x1fff) !== 0) {
    return `IP ${src} > ${dst}: ip-proto-${protocol}`;
  }
  return "IP " +
    describeTransport(b, at + headerLength, payloadEnd, protocol, src, dst, payloadLength, 1);
}

function describeIpv6(b: Uint8Array, at: number, end: number): string {
  if (end - at < 40 || b[at]! >> 4 !== 6) return "IP6 [|ip6]";
  const payloadLength = u16(b, at + 4, end);
  const nextHeader = b[at + 6]!;
  const src = formatIpv6(b, at + 8);
  const dst = formatIpv6(b, at + 24);
  const payloadEnd = Math.min(end, at + 40 + payloadLength);
  return "IP6 " +
    describeTransport(b, at + 40, payloadEnd, nextHeader, src, dst, payloadLength, 58);
}

const TCP_FLAG_LETTERS: readonly [number, string][] = [
  [0x01, "F"],
  [0x02, "S"],
  [0x04, "R"],
  [0x08, "P"],
  [0x10, "."],
  [0x20, "U"],
  [0x40, "E"],
  [0x80, "W"],
];

function describeTransport(
  b: Uint8Array,
  at: number,
  end: number,
  protocol: number,
  src: string,
  dst: string,
  length: number,
  icmpProtocol: number,
): string {
  if (protocol === 6 && end - at >= 20) {
    const sport = u16(b, at, end);
    const dport = u16(b, at + 2, end);
    const seq = u32(b, at + 4);
    const ack = u32(b, at + 8);
    const dataOffset = (b[at + 12]! >> 4) * 4;
    const flagBits = b[at + 13]!;
    const window = u16(b, at + 14, end);
    const flags = TCP_FLAG_LETTERS.filter(([bit]) => flagBits & bit).map(([, l]) => l).join("") ||
      "none";
    const data = Math.max(0, length - dataOffset);
    const seqText = data > 0 ? `${seq}:${(seq + data) >>> 0}` : `${seq}`;
    const ackText = flagBits & 0x10 ? `, ack ${ack}` : "";
    return `${src}.${sport} > ${dst}.${dport}: Flags [${flags}], seq ${seqText}${ackText}, win ${window}, length ${data}`;
  }
  if (protocol === 17 && end - at >= 8) {
    const sport = u16(b, at, end);
    const dport = u16(b, at + 2, end);
    const udpLength = u16(b, at + 4, end);
    return `${src}.${sport} > ${dst}.${dport}: UDP, length ${Math.max(0, udpLength - 8)}`;
  }
  if (protocol === 1 && protocol === icmpProtocol && end - at >= 8) {
    return `${src} > ${dst}: ICMP ${describeEcho(b, at, end, 8, 0)}, length ${length}`;
  }
  if (protocol === 58 && protocol === icmpProtocol && end - at >= 8) {
    return `${src} > ${dst}: ICMP6, ${describeEcho(b, at, end, 128, 129)}, length ${length}`;
  }
  return `${src} > ${dst}: ip-proto-${protocol} ${length}`;
}

function describeEcho(
  b: Uint8Array,
  at: number,
  end: number,
  request: number,
  reply: number,
): string {
  const type = b[at]!;
  const echo = `id ${u16(b, at + 4, end)}, seq ${u16(b, at + 6, end)}`;
  if (type === request) return `echo request, ${echo}`;
  if (type === reply) return `echo reply, ${echo}`;
  return `type ${type}, code ${b[at + 1]}`;
}

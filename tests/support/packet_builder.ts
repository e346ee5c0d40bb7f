/**
 * Builds Ethernet frames and capture files byte by byte, for fixtures,
 * benchmarks and the demo capture. Checksums are computed so that tools
 * that verify them stay quiet.
 */

export type Bytes = Uint8Array;

export function concat(...parts: readonly Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function mac(text: string): Bytes {
  return Uint8Array.from(text.split(":").map((h) => parseInt(h, 16)));
}

export function ipv4(text: string): Bytes {
  return Uint8Array.from(text.split(".").map(Number));
}

export function ipv6(text: string): Bytes {
  const [head = "", tail = ""] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = text.includes("::") && tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t].map((g) =>
    parseInt(g, 16)
  );
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function u16(n: number): Bytes {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function u32(n: number): Bytes {
  return Uint8Array.of((n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** RFC 1071 ones' complement sum of `data`, folded and inverted. */
export function internetChecksum(data: Bytes): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length % 2) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function ethernet(dst: string, src: string, etherType: number, payload: Bytes): Bytes {
  return concat(mac(dst), mac(src), u16(etherType), payload);
}

/** An 802.1Q tag (TPID 0x8100) followed by the inner EtherType and payload. */
export function vlanTagged(
  dst: string,
  src: string,
  vid: number,
  etherType: number,
  payload: Bytes,
): Bytes {
  return concat(mac(dst), mac(src), u16(0x8100), u16(vid & 0xfff), u16(etherType), payload);
}

export interface Ipv4Options {
  readonly ttl?: number;
  readonly id?: number;
  readonly flagsFragment?: number;
  readonly options?: Bytes;
}

export function ipv4Packet(
  src: string,
  dst: string,
  protocol: number,
  payload: Bytes,
  o: Ipv4Options = {},
): Bytes {
  const opts = o.options ?? new Uint8Array(0);
  const headerLength = 20 + opts.length;
  const header = concat(
    Uint8Array.of(0x40 | (headerLength / 4), 0),
    u16(headerLength + payload.length),
    u16(o.id ?? 1),
    u16(o.flagsFragment ?? 0x4000),
    Uint8Array.of(o.ttl ?? 64, protocol),
    u16(0),
    ipv4(src),
    ipv4(dst),
    opts,
  );
  header.set(u16(internetChecksum(header)), 10);
  return concat(header, payload);
}

export function ipv6Packet(
  src: string,
  dst: string,
  nextHeader: number,
  payload: Bytes,
  hopLimit = 64,
): Bytes {
  return concat(
    u32(0x60000000),
    u16(payload.length),
    Uint8Array.of(nextHeader, hopLimit),
    ipv6(src),
    ipv6(dst),
    payload,
  );
}

function transportChecksum(pseudo: Bytes, segment: Bytes): number {
  return internetChecksum(concat(pseudo, segment));
}

function pseudoHeader4(src: string, dst: string, protocol: number, length: number): Bytes {
  return concat(ipv4(src), ipv4(dst), Uint8Array.of(0, protocol), u16(length));
}

function pseudoHeader6(src: string, dst: string, protocol: number, length: number): Bytes {
  return concat(ipv6(src), ipv6(dst), u32(length), Uint8Array.of(0, 0, 0, protocol));
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface TcpFields {
  readonly sport: number;
  readonly dport: number;
  readonly flags: number;
  readonly seq?: number;
  readonly ack?: number;
  readonly window?: number;
  readonly payload?: Bytes;
}

function tcpSegment(t: TcpFields): Bytes {
  return concat(
    u16(t.sport),
    u16(t.dport),
    u32(t.seq ?? 0),
    u32(t.ack ?? 0),
    Uint8Array.of(0x50, t.flags),
    u16(t.window ?? 65535),
    u16(0),
    u16(0),
    t.payload ?? new Uint8Array(0),
  );
}

function udpDatagram(sport: number, dport: number, payload: Bytes): Bytes {
  return concat(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
}

export function tcp4(src: string, dst: string, t: TcpFields): Bytes {
  const seg = tcpSegment(t);
  seg.set(u16(transportChecksum(pseudoHeader4(src, dst, 6, seg.length), seg)), 16);
  return ipv4Packet(src, dst, 6, seg);
}

export function udp4(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  payload: Bytes,
): Bytes {
  const dgram = udpDatagram(sport, dport, payload);
  dgram.set(u16(transportChecksum(pseudoHeader4(src, dst, 17, dgram.length), dgram) || 0xffff), 6);
  return ipv4Packet(src, dst, 17, dgram);
}

export function tcp6(src: string, dst: string, t: TcpFields): Bytes {
  const seg = tcpSegment(t);
  seg.set(u16(transportChecksum(pseudoHeader6(src, dst, 6, seg.length), seg)), 16);
  return ipv6Packet(src, dst, 6, seg);
}

export function udp6(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  payload: Bytes,
): Bytes {
  const dgram = udpDatagram(sport, dport, payload);
  dgram.set(u16(transportChecksum(pseudoHeader6(src, dst, 17, dgram.length), dgram) || 0xffff), 6);
  return ipv6Packet(src, dst, 17, dgram);
}

/** ICMP echo request (type 8) or reply (type 0). */
export function icmpEcho4(
  src: string,
  dst: string,
  type: 0 | 8,
  id: number,
  seq: number,
  data: Bytes,
): Bytes {
  const msg = concat(Uint8Array.of(type, 0), u16(0), u16(id), u16(seq), data);
  msg.set(u16(internetChecksum(msg)), 2);
  return ipv4Packet(src, dst, 1, msg);
}

/** ICMPv6 echo request (128) or reply (129). */
export function icmp6Echo(
  src: string,
  dst: string,
  type: 128 | 129,
  id: number,
  seq: number,
  data: Bytes,
): Bytes {
  const msg = concat(Uint8Array.of(type, 0), u16(0), u16(id), u16(seq), data);
  msg.set(u16(transportChecksum(pseudoHeader6(src, dst, 58, msg.length), msg)), 2);
  return ipv6Packet(src, dst, 58, msg);
}

/** ARP over Ethernet/IPv4: op 1 request, 2 reply. */
export function arp(
  op: 1 | 2,
  senderMac: string,
  senderIp: string,
  targetMac: string,
  targetIp: string,
): Bytes {
  return concat(
    u16(1),
    u16(0x0800),
    Uint8Array.of(6, 4),
    u16(op),
    mac(senderMac),
    ipv4(senderIp),
    mac(targetMac),
    ipv4(targetIp),
  );
}

/** Pads a frame to Ethernet's 60-byte minimum (without FCS), as a NIC would. */
export function padFrame(frame: Bytes, min = 60): Bytes {
  return frame.length >= min ? frame : concat(frame, new Uint8Array(min - frame.length));
}

/** One packet for a capture file. */
export interface CapturedPacket {
  readonly data: Bytes;
  readonly sec: number;
  readonly nsec: number;
  /** Original length; defaults to data.length. */
  readonly wirelen?: number;
}

export interface PcapBuildOptions {
  readonly nanosecond?: boolean;
  readonly bigEndian?: boolean;
  readonly linkType?: number;
  readonly snaplen?: number;
}

/** A classic pcap file holding `packets`. */
export function buildPcap(packets: readonly CapturedPacket[], o: PcapBuildOptions = {}): Bytes {
  const le = !o.bigEndian;
  const size = 24 + packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, o.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le);
  view.setUint16(4, 2, le);
  view.setUint16(6, 4, le);
  view.setUint32(16, o.snaplen ?? 262144, le);
  view.setUint32(20, o.linkType ?? 1, le);
  let at = 24;
  for (const p of packets) {
    view.setUint32(at, p.sec, le);
    view.setUint32(at + 4, o.nanosecond ? p.nsec : Math.floor(p.nsec / 1000), le);
    view.setUint32(at + 8, p.data.length, le);
    view.setUint32(at + 12, p.wirelen ?? p.data.length, le);
    out.set(p.data, at + 16);
    at += 16 + p.data.length;
  }
  return out;
}

export interface PcapngInterface {
  readonly linkType?: number;
  readonly snaplen?: number;
  /** if_tsresol byte: 6 = µs (default), 9 = ns, 0x80|n = 2^-n. */
  readonly tsresol?: number;
  /** if_tsoffset seconds. */
  readonly tsoffset?: number;
}

export interface PcapngSectionSpec {
  readonly bigEndian?: boolean;
  readonly interfaces?: readonly PcapngInterface[];
  /** Packets with the interface they came in on (default 0); `simple` makes a Simple Packet Block. */
  readonly packets:
    readonly (CapturedPacket & { readonly iface?: number; readonly simple?: boolean })[];
  /** Insert an unknown block (type 0x0BAD) before the packets. */
  readonly unknownBlock?: boolean;
}

function block(le: boolean, type: number, body: Bytes): Bytes {
  const padded = (body.length + 3) & ~3;
  const length = 12 + padded;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, le);
  view.setUint32(4, length, le);
  out.set(body, 8);
  view.setUint32(length - 4, length, le);
  return out;
}

function option(le: boolean, code: number, value: Bytes): Bytes {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint16(0, code, le);
  new DataView(head.buffer).setUint16(2, value.length, le);
  return concat(head, value, new Uint8Array(((value.length + 3) & ~3) - value.length));
}

/** Units per second of an if_tsresol byte. */
function unitsPerSecond(tsresol: number): bigint {
  return tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
}

/** A pcapng file: one or more sections, each with its interfaces and packets. */
export function buildPcapng(sections: readonly PcapngSectionSpec[]): Bytes {
  const parts: Bytes[] = [];
  for (const s of sections) {
    const le = !s.bigEndian;
    const shb = new Uint8Array(16);
    const sv = new DataView(shb.buffer);
    sv.setUint32(0, 0x1a2b3c4d, le);
    sv.setUint16(4, 1, le);
    sv.setBigInt64(8, -1n, le);
    parts.push(block(le, 0x0a0d0d0a, shb));
    const ifaces = s.interfaces ?? [{}];
    for (const i of ifaces) {
      const head = new Uint8Array(8);
      const hv = new DataView(head.buffer);
      hv.setUint16(0, i.linkType ?? 1, le);
      hv.setUint32(4, i.snaplen ?? 262144, le);
      const opts: Bytes[] = [];
      if (i.tsresol !== undefined) opts.push(option(le, 9, Uint8Array.of(i.tsresol)));
      if (i.tsoffset !== undefined) {
        const v = new Uint8Array(8);
        new DataView(v.buffer).setBigInt64(0, BigInt(i.tsoffset), le);
        opts.push(option(le, 14, v));
      }
      if (opts.length) opts.push(new Uint8Array(4));
      parts.push(block(le, 1, concat(head, ...opts)));
    }
    if (s.unknownBlock) parts.push(block(le, 0x0bad, Uint8Array.of(1, 2, 3, 4, 5)));
    for (const p of s.packets) {
      if (p.simple) {
        const head = new Uint8Array(4);
        new DataView(head.buffer).setUint32(0, p.wirelen ?? p.data.length, le);
        parts.push(block(le, 3, concat(head, p.data)));
        continue;
      }
      const iface = ifaces[p.iface ?? 0] ?? {};
      const ups = unitsPerSecond(iface.tsresol ?? 6);
      const units = (BigInt(p.sec - (iface.tsoffset ?? 0)) * ups) +
        (BigInt(p.nsec) * ups) / 1_000_000_000n;
      const head = new Uint8Array(20);
      const hv = new DataView(head.buffer);
      hv.setUint32(0, p.iface ?? 0, le);
      hv.setUint32(4, Number(units >> 32n), le);
      hv.setUint32(8, Number(units & 0xffffffffn), le);
      hv.setUint32(12, p.data.length, le);
      hv.setUint32(16, p.wirelen ?? p.data.length, le);
      parts.push(block(le, 6, concat(head, p.data)));
    }
  }
  return concat(...parts);
}

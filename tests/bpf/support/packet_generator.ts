/**
 * Seeded random Ethernet frames that exercise the compiler's offsets: VLAN
 * and QinQ stacks, MPLS label stacks, PPPoE sessions, IPv4 with options and
 * fragments, IPv6 with extension headers, ARP, 802.3/LLC (ISO, STP, IPX,
 * SNAP), and frames cut short (caplen < wirelen).
 */
import type { TestPacket } from "./pcap_file.ts";

/** Small deterministic PRNG (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` frames; with `truncate`, about 15% are cut short (caplen < wirelen). */
export function generatePackets(count: number, seed: number, truncate = true): TestPacket[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const bytes = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 256));
  const u16 = (v: number) => [(v >>> 8) & 0xff, v & 0xff];
  const u32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  const macs = [
    [1, 2, 3, 4, 5, 6],
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    [0x01, 0x00, 0x5e, 0, 0, 1],
    [0, 0x11, 0x22, 0x33, 0x44, 0x55],
  ];
  const ipv4s = [
    0x01020304,
    0x0a000001,
    0x0a00ff02,
    0xc0a801ff,
    0xe0000001,
    0xffffffff,
    0x0a010203,
    0,
  ];
  const ipv6s = [
    [0xfe, 0x80, ...Array(13).fill(0), 1],
    [...Array(15).fill(0), 1],
    [0xff, 0x02, ...Array(13).fill(0), 1],
    [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 5],
  ];
  const ports = [20, 21, 22, 53, 80, 443, 1000, 8080, 65535];
  const transport = (proto: number): number[] => {
    if (proto === 6) {
      return [
        ...u16(pick(ports)),
        ...u16(pick(ports)),
        ...bytes(8),
        0x50,
        pick([0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0xc2]),
        ...bytes(6),
      ];
    }
    if (proto === 17 && chance(0.25)) return geneveOverUdp();
    if (proto === 17 || proto === 132) {
      return [...u16(pick(ports)), ...u16(pick(ports)), ...bytes(4 + (proto === 132 ? 8 : 0))];
    }
    if (proto === 1 || proto === 58) {
      return [pick([0, 3, 8, 11, 128, 129, 135]), pick([0, 1]), ...bytes(6)];
    }
    if (proto === 51) {
      // AH: next header, length (2 => 16 bytes), reserved, SPI, sequence, ICV; then the next header.
      const next = pick([6, 17, 1]);
      return [next, 2, 0, 0, ...bytes(12), ...transport(next)];
    }
    return bytes(8);
  };
  /** UDP to the Geneve port; inside, an Ethernet frame (TEB) or a bare IPv4 packet. */
  const geneveOverUdp = (): number[] => {
    const options = pick([0, 0, 1, 2]);
    const ethernet = chance(0.7);
    const inner = ethernet
      ? [...pick(macs), ...pick(macs), ...u16(0x0800), ...innerIpv4()]
      : innerIpv4();
    const header = [
      pick([0, 0, 0, 0x40]) | options,
      0,
      ...u16(ethernet ? 0x6558 : 0x0800),
      ...u32((pick([0, 7, 100, 0xffffff]) << 8) >>> 0),
      ...Array(4 * options).fill(0),
    ];
    const body = [...header, ...inner];
    return [
      ...u16(pick([6081, 6081, 53])),
      ...u16(pick([6081, 6081, 6081, 53])),
      ...u16(8 + body.length),
      0,
      0,
      ...body,
    ];
  };
  const innerIpv4 = (): number[] => {
    const proto = pick([6, 17, 1]);
    const body = proto === 17
      ? [...u16(pick(ports)), ...u16(pick(ports)), 0, 8, 0, 0]
      : transport(proto);
    return [
      0x45,
      0,
      ...u16(20 + body.length),
      0,
      1,
      0,
      0,
      64,
      proto,
      0,
      0,
      ...u32(pick(ipv4s)),
      ...u32(pick(ipv4s)),
      ...body,
    ];
  };
  const ipv4 = (): number[] => {
    const options = pick([0, 0, 0, 1, 2]);
    const proto = pick([6, 6, 17, 17, 17, 1, 2, 9, 132, 103, 112, 50, 51, 51, 47, 89]);
    const frag = pick([0, 0, 0, 0x2000, 0x0010, 0x2010, 0x4000]);
    const body = transport(proto);
    const total = 20 + 4 * options + body.length;
    return [
      0x40 | (5 + options),
      0,
      ...u16(total),
      ...u16(1),
      ...u16(frag),
      64,
      proto,
      0,
      0,
      ...u32(pick(ipv4s)),
      ...u32(pick(ipv4s)),
      ...Array(4 * options).fill(1),
      ...body,
    ];
  };
  const ipv6 = (): number[] => {
    const chain: number[] = [];
    const headers = chance(0.4) ? [pick([0, 43, 44, 60, 51])] : [];
    if (chance(0.2)) headers.push(pick([44, 60, 51]));
    const last = pick([6, 17, 58, 132, 103, 50]);
    const kinds = [...headers, last];
    for (let i = 0; i < headers.length; i++) {
      const next = kinds[i + 1]!;
      chain.push(
        ...(headers[i] === 44
          ? [next, 0, 0, pick([0, 1, 8]), ...bytes(4)]
          : [next, 0, ...bytes(6)]),
      );
    }
    const body = [...chain, ...transport(last)];
    return [
      0x60,
      0,
      0,
      0,
      ...u16(body.length),
      kinds[0]!,
      64,
      ...pick(ipv6s),
      ...pick(ipv6s),
      ...body,
    ];
  };
  const arp = (): number[] => [
    0,
    1,
    8,
    0,
    6,
    4,
    0,
    pick([1, 2]),
    ...pick(macs),
    ...u32(pick(ipv4s)),
    ...pick(macs),
    ...u32(pick(ipv4s)),
  ];
  const llc = (): number[] => {
    switch (pick(["iso", "stp", "ipx", "raw", "snap", "aarp", "other"])) {
      case "iso":
        return [
          0xfe,
          0xfe,
          0x03,
          pick([0x81, 0x82, 0x83]),
          0x1b,
          1,
          0,
          pick([0x0f, 0x10, 0x11, 0x12, 0x14, 0x18, 0x19, 0x1a, 0x1b]),
          ...bytes(20),
        ];
      case "stp":
        return [0x42, 0x42, 0x03, ...bytes(35)];
      case "ipx":
        return [0xe0, 0xe0, 0x03, ...bytes(30)];
      case "raw":
        return [0xff, 0xff, ...bytes(30)];
      case "snap":
        return [0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b, ...bytes(20)];
      case "aarp":
        return [0xaa, 0xaa, 0x03, 0, 0, 0, 0x80, 0xf3, ...bytes(20)];
      default:
        return [
          0xf0,
          0xf0,
          pick([0x03, 0x00, 0x01, 0x05, 0x09, 0x63, 0x43, 0x0f, 0x6f, 0xe3, 0xaf, 0x87, 0x12]),
          ...bytes(20),
        ];
    }
  };
  const packets: TestPacket[] = [];
  for (let n = 0; n < count; n++) {
    const frame: number[] = [...pick(macs), ...pick(macs)];
    const vlans = chance(0.3) ? pick([1, 1, 2, 3]) : 0;
    for (let i = 0; i < vlans; i++) {
      frame.push(
        ...u16(pick([0x8100, 0x8100, 0x88a8, 0x9100])),
        ...u16(pick([0, 1, 10, 100, 4095, 0x2064])),
      );
    }
    const kind = pick(["ip", "ip", "ip6", "ip6", "arp", "mpls", "pppoe", "llc", "decnet", "other"]);
    if (kind === "mpls") {
      const labels = pick([1, 2, 3]);
      frame.push(...u16(0x8847));
      for (let i = 0; i < labels; i++) {
        const label = pick([0, 5, 100, 0xfffff]);
        frame.push(...u32(((label << 12) | (i === labels - 1 ? 0x100 : 0) | 64) >>> 0));
      }
      frame.push(...(chance(0.5) ? ipv4() : ipv6()));
    } else if (kind === "pppoe") {
      const inner = chance(0.5) ? ipv4() : ipv6();
      frame.push(
        ...u16(0x8864),
        0x11,
        0,
        ...u16(pick([0, 5, 0x1234])),
        ...u16(inner.length + 2),
        ...u16(inner[0]! >> 4 === 4 ? 0x21 : 0x57),
        ...inner,
      );
    } else if (kind === "decnet") {
      // Routing header forms: short/long, with or without a pad byte; addresses 1.2 or 1.1 (little-endian).
      const addr = () => pick([[0x02, 0x04], [0x01, 0x04], [0x05, 0x00]]);
      const pad = chance(0.5) ? [0x81] : [];
      const header = chance(0.5)
        ? [0x02, ...addr(), ...addr(), 0]
        : [0x06, 0, 0, ...bytes(4), ...addr(), 0, 0, ...bytes(4), ...addr(), ...bytes(4)];
      const body = [...pad, ...header, ...bytes(8)];
      frame.push(...u16(0x6003), body.length & 0xff, body.length >> 8, ...body);
    } else if (kind === "llc") {
      const body = llc();
      frame.push(...u16(body.length), ...body);
    } else if (kind === "ip") frame.push(...u16(0x0800), ...ipv4());
    else if (kind === "ip6") frame.push(...u16(0x86dd), ...ipv6());
    else if (kind === "arp") frame.push(...u16(pick([0x0806, 0x8035])), ...arp());
    else {frame.push(
        ...u16(
          pick([0x6003, 0x809b, 0x80f3, 0x8137, 0x8863, 0x88cc, 0x6004, 0x6001, 0x6002, 0x6007]),
        ),
        ...bytes(30),
      );}
    const data = new Uint8Array(frame);
    const caplen = chance(0.15) && truncate ? Math.floor(rnd() * data.length) : data.length;
    packets.push({ data: data.slice(0, caplen), wirelen: data.length });
  }
  return packets;
}

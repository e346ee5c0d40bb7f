/**
 * Random filter expressions from the grammar: primitives of every family,
 * joined with and/or/not and parentheses, bare identifiers that inherit the
 * qualifiers before them, and arithmetic relations over packet data.
 */
import { random } from "./packet_generator.ts";

export function expressionGenerator(seed: number): () => string {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const int = (n: number) => Math.floor(rnd() * n);

  const ipv4 = () =>
    pick(["1.2.3.4", "10.0.0.1", "192.168.1.255", "224.0.0.1", "10.1.2.3", "0.0.0.0"]);
  const ipv6 = () => pick(["::1", "fe80::1", "ff02::1", "2001:db8::5"]);
  const port = () => String(pick([20, 21, 22, 53, 80, 443, 1000, 8080, 65535]));
  const dir = () => pick(["", "", "src ", "dst ", "src or dst ", "src and dst "]);
  const protos = [
    "ip",
    "ip6",
    "arp",
    "rarp",
    "tcp",
    "udp",
    "sctp",
    "icmp",
    "icmp6",
    "igmp",
    "igrp",
    "pim",
    "ah",
    "esp",
    "vrrp",
    "stp",
    "ipx",
    "iso",
    "isis",
    "esis",
    "clnp",
    "l1",
    "l2",
    "iih",
    "lsp",
    "snp",
    "atalk",
    "aarp",
    "decnet",
    "netbeui",
    "llc",
  ];
  const arith = (depth: number): string => {
    if (depth <= 0 || chance(0.4)) {
      switch (int(4)) {
        case 0:
          return String(pick([0, 1, 2, 4, 6, 14, 17, 64, 0x45, 0x800, 255]));
        case 1:
          return "len";
        default: {
          const proto = pick([
            "ether",
            "ip",
            "ip6",
            "tcp",
            "udp",
            "icmp",
            "arp",
            "icmp6",
            "ether",
            "ip",
          ]);
          const size = pick(["", ":1", ":2", ":4"]);
          const index = chance(0.8) ? String(int(proto === "ether" ? 60 : 24)) : arith(depth - 1);
          return `${proto}[${index}${size}]`;
        }
      }
    }
    const op = pick(["+", "-", "*", "&", "|", "^", "<<", ">>", "/", "%"]);
    const right = op === "<<" || op === ">>"
      ? String(int(8))
      : op === "/" || op === "%"
      ? String(1 + int(9))
      : arith(depth - 1);
    const left = arith(depth - 1);
    return chance(0.3) ? `(${left} ${op} ${right})` : `${left} ${op} ${right}`;
  };
  const primitive = (): string => {
    switch (chance(0.1) ? pick([17, 18]) : int(16)) {
      case 17:
        return `${pick(["", "ip ", "ip6 "])}protochain ${pick(["6", "17", "58", "51", "\\tcp"])}`;
      case 18:
        return `decnet ${dir()}host ${pick(["1.2", "1.1", "5"])}`;
      case 0:
        return pick(protos);
      case 1:
        return `${pick(["", "ip ", "arp "])}${dir()}host ${ipv4()}${
          chance(0.3) ? ` or ${ipv4()}` : ""
        }`;
      case 2:
        return `${pick(["", "ip6 "])}${dir()}host ${ipv6()}`;
      case 3:
        return `${dir()}net ${
          pick([
            "10",
            "10.0",
            "192.168",
            "10.0.0.0/8",
            "10.0.0.0/16",
            "224.0.0.0/4",
            "fe80::/10",
            "ff00::/8",
          ])
        }`;
      case 4:
        return `${pick(["", "tcp ", "udp ", "sctp "])}${dir()}port ${port()}${
          chance(0.3) ? ` or ${port()}` : ""
        }`;
      case 5:
        return `${pick(["", "tcp ", "udp "])}${dir()}portrange ${
          pick(["1-100", "20-22", "50-1000", "443-8080"])
        }`;
      case 6:
        return `ether ${dir()}host ${
          pick(["1:2:3:4:5:6", "ff:ff:ff:ff:ff:ff", "0:11:22:33:44:55"])
        }`;
      case 7:
        return pick([
          "ether broadcast",
          "ether multicast",
          "ip multicast",
          "ip6 multicast",
          "ip broadcast",
          "broadcast",
        ]);
      case 8:
        return `${pick(["ether proto", "ip proto", "ip6 proto", "proto"])} ${
          pick(["6", "17", "0x800", "0x86dd", "58", "1", "0x42"])
        }`;
      case 9:
        return `vlan${chance(0.5) ? ` ${pick([0, 1, 10, 100, 4095])}` : ""}`;
      case 10:
        return `mpls${chance(0.5) ? ` ${pick([0, 5, 100, 1048575])}` : ""}`;
      case 11:
        return pick(["pppoed", "pppoes", "pppoes 5", "pppoes 0x1234"]);
      case 12:
        return `${pick(["less", "greater"])} ${pick([42, 60, 64, 100, 200, 1500])}`;
      default:
        return `${arith(2)} ${pick([">", "<", ">=", "<=", "=", "!=", "=="])} ${arith(1)}`;
    }
  };
  const expr = (depth: number): string => {
    if (depth <= 0 || chance(0.35)) return primitive();
    switch (int(4)) {
      case 0:
        return `${expr(depth - 1)} ${pick(["and", "&&"])} ${expr(depth - 1)}`;
      case 1:
        return `${expr(depth - 1)} ${pick(["or", "||"])} ${expr(depth - 1)}`;
      case 2:
        return `${pick(["not ", "!"])}${expr(depth - 1)}`;
      default:
        return `(${expr(depth - 1)})`;
    }
  };
  // Primitives after `geneve` read offsets it stores in scratch memory; where
  // `geneve` did not match, libpcap reads whatever the previous packet left
  // there (known_divergences.md), so `geneve` only leads a conjunction here.
  return () => {
    if (!chance(0.06)) return expr(3);
    return `${pick(["geneve", "geneve 7", "geneve 100"])} and (${expr(2)})`;
  };
}

/**
 * Conjunctions of two to four protocol, host, port and relation primitives,
 * often negated or repeated, now and then one or-ed with another: the
 * filters libpcap's optimiser proves empty ("expression rejects all
 * packets") come up often among these, about one in four.
 */
export function conjunctionGenerator(seed: number): () => string {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const primitives = [
    ...["ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp", "pim", "vrrp"],
    ...["stp", "ipx", "iso", "isis", "l1", "l2", "iih", "lsp", "snp", "atalk", "decnet", "llc"],
    ...["vlan", "vlan 10", "vlan 20", "mpls", "mpls 5", "pppoes", "pppoed", "ether broadcast"],
    ...["port 80", "port 53", "tcp port 80", "udp port 53", "sctp port 80", "src port 80"],
    ...["dst port 22", "portrange 1-100", "portrange 80-80", "host 1.2.3.4", "dst host 10.0.0.1"],
    ...["src host 1.2.3.4", "arp host 1.2.3.4", "net 10.0.0.0/8", "host ::1", "ip6 host fe80::1"],
    ...["ether src 1:2:3:4:5:6", "ether host 1:2:3:4:5:6", "ip proto 6", "ip proto 17", "proto 6"],
    ...["ip6 proto 6", "ip6 proto 58", "ether proto 0x800", "ether proto 0x86dd", "ip multicast"],
    ...["ether multicast", "ip6 multicast", "ip broadcast", "less 64", "greater 1000", "len > 100"],
    ...["ip[9] = 6", "ip[9] = 17", "tcp[13] & 2 != 0", "icmp[0] = 8", "ether[12:2] = 0x800"],
    ...["ether[12:2] = 0x806", "ip[0] & 0xf = 5", "len = 60", "len = 61", "1 = 1", "1 = 2"],
    ...["1+1 = 2", "2 > 3", "len * 0 = 1", "tcp[tcpflags] & tcp-syn != 0"],
  ];
  return () => {
    const parts: string[] = [];
    const n = 2 + Math.floor(rnd() * 3);
    for (let i = 0; i < n; i++) {
      let p = parts.length > 0 && rnd() < 0.3 ? pick(parts).replace(/^not /, "") : pick(primitives);
      if (rnd() < 0.3) p = rnd() < 0.5 ? `not ${p}` : `not (${p})`;
      if (rnd() < 0.15) p = `(${p} or ${pick(primitives)})`;
      parts.push(p);
    }
    return parts.join(rnd() < 0.85 ? " and " : " or ");
  };
}

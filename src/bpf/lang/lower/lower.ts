/**
 * Lowers a syntax tree to a condition graph, left to right (the order libpcap
 * runs its code generators in, which matters because encapsulation
 * primitives move later offsets). Identifiers follow libpcap's gen_ncode,
 * gen_scode, gen_mcode and gen_ecode rules.
 */
import { decimalDigits } from "../chars.ts";
import { FilterRangeError, FilterSemanticError } from "../../errors.ts";
import type { Expr, IdValue, Qualifiers } from "../ast.ts";
import { parseIpv6 } from "../lex.ts";
import { lookupEtherProtocol, lookupIpProtocol, lookupIsoProtocol } from "../protocols.ts";
import { lookupService } from "../services.ts";
import { relation } from "./arith.ts";
import { and, type Cond, not, or } from "./blocks.ts";
import type { LowerContext } from "./context.ts";
import {
  byteTest,
  etherBroadcast,
  etherHost,
  etherMulticast,
  lengthCompare,
  llc,
  llcFrameType,
  parseMac,
} from "./ether.ts";
import {
  ipBroadcast,
  ipMulticast,
  ipv4Host,
  ipv4Network,
  parseDottedIpv4,
  prefixMask,
} from "./ip.ts";
import { ip6Multicast, ipv6Host, ipv6Network } from "./ip6.ts";
import { protoAbbrev, protoNumber } from "./proto_abbrev.ts";
import { IPPROTO, portRange } from "./transport.ts";
import { geneve, pppoed, pppoes } from "./pppoe_geneve.ts";
import { mpls, vlan } from "./vlan_mpls.ts";
import { decnetHost, parseDecnetAddress } from "./decnet.ts";
import { protochain } from "./protochain.ts";

export function lowerExpr(ctx: LowerContext, node: Expr): Cond {
  switch (node.kind) {
    case "and": {
      const left = lowerExpr(ctx, node.left);
      return and(left, lowerExpr(ctx, node.right));
    }
    case "or": {
      const left = lowerExpr(ctx, node.left);
      return or(left, lowerExpr(ctx, node.right));
    }
    case "not":
      return not(lowerExpr(ctx, node.operand));
    case "proto":
      return protoAbbrev(ctx, node.proto);
    case "id":
      return lowerId(ctx, node.q, node.id);
    case "cast":
      return lowerCast(ctx, node.proto, node.cast);
    case "less":
    case "greater":
      return lengthCompare(node.kind, node.value);
    case "llc":
      return node.frameType === undefined ? llc(ctx) : llcFrameType(ctx, node.frameType);
    case "byte":
      return byteTest(ctx, node.index, node.op, node.value);
    case "relation":
      return relation(ctx, node);
    case "encap":
      switch (node.encap) {
        case "vlan":
          return vlan(ctx, node.value);
        case "mpls":
          return mpls(ctx, node.value);
        case "pppoed":
          return pppoed(ctx);
        case "pppoes":
          return pppoes(ctx, node.value);
        case "geneve":
          return geneve(ctx, node.value);
      }
      break;
    case "unsupported":
      throw new FilterSemanticError(`${node.what} is not supported on Ethernet captures`);
  }
  throw new FilterSemanticError("unknown expression");
}

function lowerCast(
  ctx: LowerContext,
  proto: string | undefined,
  cast: "broadcast" | "multicast",
): Cond {
  if (proto === undefined || proto === "link") {
    return cast === "broadcast" ? etherBroadcast(ctx) : etherMulticast(ctx);
  }
  if (proto === "ip") return cast === "broadcast" ? ipBroadcast(ctx) : ipMulticast(ctx);
  if (proto === "ip6" && cast === "multicast") return ip6Multicast(ctx);
  throw new FilterSemanticError(
    cast === "broadcast"
      ? "only link-layer/IP broadcast filters supported"
      : "only link-layer/IP/IPv6 multicast filters supported",
  );
}

/** The IP protocol a `port` qualifier limits to, libpcap's rules. */
function portProtocol(proto: string | undefined, what: "port" | "portrange"): number | undefined {
  if (proto === undefined) return undefined;
  if (proto === "tcp" || proto === "udp" || proto === "sctp") return IPPROTO[proto];
  throw new FilterSemanticError(`illegal qualifier of '${what}'`);
}

function checkPort(port: number): number {
  if (port > 65535) throw new FilterRangeError(`illegal port number ${port} > 65535`);
  return port;
}

function lowerId(ctx: LowerContext, q: Qualifiers, id: IdValue): Cond {
  if (q.none === true) {
    throw new FilterSemanticError("an identifier needs a qualifier here (syntax error)");
  }
  switch (id.kind) {
    case "num":
      return lowerNumber(ctx, q, id.value);
    case "name":
      return lowerName(ctx, q, id.name);
    case "ipv4":
      return lowerIpv4(ctx, q, id.text);
    case "ipv4-net":
    case "ipv4-mask": {
      const { addr, mask } = id.kind === "ipv4-net"
        ? ipv4Network(id.text, id.bits, undefined)
        : ipv4Network(id.text, undefined, id.mask);
      if (q.addr !== "net") throw new FilterSemanticError("Mask syntax for networks only");
      return ipv4Host(ctx, addr, mask, q.proto, q.dir, "net");
    }
    case "ipv6": {
      const addr = parseIpv6(id.text)!;
      const mask = ipv6Network(addr, id.bits, id.text);
      if (q.addr === undefined || q.addr === "host") {
        if (id.bits !== 128) throw new FilterSemanticError("Mask syntax for networks only");
      } else if (q.addr !== "net") {
        throw new FilterSemanticError("invalid qualifier against IPv6 address");
      }
      return ipv6Host(ctx, addr, mask, q.proto, q.dir, q.addr === "net" ? "net" : "host");
    }
    case "mac":
      if ((q.addr === undefined || q.addr === "host") && q.proto === "link") {
        return etherHost(ctx, parseMac(id.text), q.dir);
      }
      throw new FilterSemanticError("ethernet address used in non-ether expression");
    case "arcnet":
      throw new FilterSemanticError("ARCnet addresses are not supported on Ethernet captures");
  }
}

function lowerIpv4(ctx: LowerContext, q: Qualifiers, text: string): Cond {
  if (q.addr === "gateway") throw new FilterSemanticError("'gateway' requires a name");
  if (q.proto === "link") throw new FilterSemanticError("illegal link layer address");
  if (q.proto === "decnet") return decnetHost(ctx, parseDecnetAddress(text), q.dir);
  const { value, bits } = parseDottedIpv4(text);
  const addr = bits === 32 ? value : (value << (32 - bits)) >>> 0;
  const mask = prefixMask(bits);
  return ipv4Host(ctx, addr, mask, q.proto, q.dir, q.addr === "net" ? "net" : "host");
}

function lowerNumber(ctx: LowerContext, q: Qualifiers, v: number): Cond {
  switch (q.addr) {
    case undefined:
    case "host":
    case "net": {
      if (q.proto === "decnet") return decnetHost(ctx, v, q.dir);
      if (q.proto === "link") throw new FilterSemanticError("illegal link layer address");
      let addr = v;
      let mask = 0xffffffff;
      if (q.addr === "net") {
        // A short network number is promoted: `net 10` is 10.0.0.0/8.
        while (addr !== 0 && (addr & 0xff000000) === 0) {
          addr = (addr << 8) >>> 0;
          mask = (mask << 8) >>> 0;
        }
      }
      return ipv4Host(ctx, addr, mask, q.proto, q.dir, q.addr === "net" ? "net" : "host");
    }
    case "port":
      return portRange(ctx, checkPort(v), v, portProtocol(q.proto, "port"), q.dir);
    case "portrange":
      return portRange(ctx, checkPort(v), v, portProtocol(q.proto, "portrange"), q.dir, true);
    case "gateway":
      throw new FilterSemanticError("'gateway' requires a name");
    case "proto":
      if (q.dir !== undefined) throw new FilterSemanticError("direction applied to 'proto'");
      return protoNumber(ctx, v, q.proto);
    case "protochain":
      return protochain(ctx, v, q.proto);
  }
}

/** libpcap's pcap_nametoport: a service's port, and its protocol unless TCP and UDP agree. */
function nameToPort(name: string): { port: number; proto: number | undefined } | undefined {
  const service = lookupService(name);
  if (service === undefined) return undefined;
  if (service.tcp !== undefined) {
    return { port: service.tcp, proto: service.udp === service.tcp ? undefined : IPPROTO.tcp };
  }
  return { port: service.udp!, proto: IPPROTO.udp };
}

/** Narrows a service's protocol to the qualifier's, refusing a mismatch as libpcap does. */
function narrow(
  qualified: number | undefined,
  real: number | undefined,
  what: string,
): number | undefined {
  if (qualified === undefined) return real;
  if (real !== undefined && real !== qualified) {
    throw new FilterSemanticError(`${what} is ${real === IPPROTO.tcp ? "tcp" : "udp"}`);
  }
  return qualified;
}

/** A service name's port for a port qualifier, with libpcap's protocol narrowing. */
function servicePort(
  name: string,
  proto: number | undefined,
): { port: number; proto: number | undefined } {
  const found = nameToPort(name);
  if (found === undefined) throw new FilterSemanticError(`unknown port '${name}'`);
  return { port: found.port, proto: narrow(proto, found.proto, `port '${name}'`) };
}

/** libpcap's pcap_nametoportrange: `LOW-HIGH` as numbers (sscanf "%d-%d"), else as two service names. */
function servicePortRange(name: string, proto: number | undefined) {
  const dash = name.indexOf("-");
  // `\d+-\d+` at the start, found without a RegExp (V8 compiles one on its first use).
  const lowEnd = decimalDigits(name, 0);
  const highEnd = dash + 1 + decimalDigits(name, dash + 1);
  if (lowEnd > 0 && lowEnd === dash && highEnd > dash + 1) {
    return { low: Number(name.slice(0, dash)), high: Number(name.slice(dash + 1, highEnd)), proto };
  }
  const first = dash < 0 ? undefined : nameToPort(name.slice(0, dash));
  const second = dash < 0 ? undefined : nameToPort(name.slice(dash + 1));
  if (first === undefined || second === undefined) {
    throw new FilterSemanticError(`unknown port in range '${name}'`);
  }
  const real = first.proto === second.proto ? first.proto : undefined;
  return {
    low: first.port,
    high: second.port,
    proto: narrow(proto, real, `port in range '${name}'`),
  };
}

function lowerName(ctx: LowerContext, q: Qualifiers, name: string): Cond {
  switch (q.addr) {
    case undefined:
    case "host":
    case "net":
    case "gateway":
      if (q.proto === "link" && q.addr !== "net") {
        throw new FilterSemanticError(
          `unknown ether host '${name}' (fmagent does not read /etc/ethers)`,
        );
      }
      throw new FilterSemanticError(
        `${
          q.addr === "net" ? "network" : "host"
        } names are not resolved (no DNS on the data path): ` +
          `use an address instead of '${name}'`,
      );
    case "port": {
      const { port, proto } = servicePort(name, portProtocol(q.proto, "port"));
      return portRange(ctx, checkPort(port), port, proto, q.dir);
    }
    case "portrange": {
      const { low, high, proto } = servicePortRange(name, portProtocol(q.proto, "portrange"));
      return portRange(ctx, checkPort(low), checkPort(high), proto, q.dir, true);
    }
    case "proto":
    case "protochain": {
      if (q.dir !== undefined && q.addr === "proto") {
        throw new FilterSemanticError("direction applied to 'proto'");
      }
      let v: number | undefined;
      if (q.proto === undefined || q.proto === "ip" || q.proto === "ip6") {
        v = lookupIpProtocol(name);
        if (v === undefined) throw new FilterSemanticError(`unknown ip proto '${name}'`);
      } else if (q.proto === "link") {
        v = lookupEtherProtocol(name);
        if (v === undefined) throw new FilterSemanticError(`unknown ether proto '${name}'`);
      } else if (q.proto === "iso") {
        v = lookupIsoProtocol(name);
        if (v === undefined) throw new FilterSemanticError(`unknown osi proto '${name}'`);
      } else {
        throw new FilterSemanticError(`'${q.proto} proto' is bogus`);
      }
      return q.addr === "proto" ? protoNumber(ctx, v, q.proto) : protochain(ctx, v, q.proto);
    }
  }
}

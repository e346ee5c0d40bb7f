/**
 * Link-layer primitives on Ethernet: the type/length field test behind every
 * protocol name (libpcap's gen_linktype, with 802.3/LLC and SNAP forms and the
 * PPP and MPLS variants after `pppoes`/`mpls`), MAC addresses, broadcast,
 * multicast, `llc`, `less`/`greater`.
 */
import { isHexDigit, isRun } from "../chars.ts";
import { FilterSemanticError } from "../../errors.ts";
import {
  BPF_ALU,
  BPF_AND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LEN,
  BPF_OR,
  BPF_W,
} from "../../program/opcodes.ts";
import type { DirQualifier } from "../ast.ts";
import { and, branch, type Cond, not, or, stmt } from "./blocks.ts";
import { geneveHasLinkHeader } from "./geneve_link.ts";
import { bytesCmp, cmp, cmpGreater, load, type LowerContext, maskedCmp } from "./context.ts";

export const ETHERMTU = 1500;
export const ETHERTYPE = {
  ip: 0x0800,
  arp: 0x0806,
  rarp: 0x8035,
  ip6: 0x86dd,
  vlan: 0x8100,
  qinq8021ad: 0x88a8,
  qinq9100: 0x9100,
  mpls: 0x8847,
  pppoed: 0x8863,
  pppoes: 0x8864,
  atalk: 0x809b,
  aarp: 0x80f3,
  ipx: 0x8137,
  decnet: 0x6003,
  lat: 0x6004,
  sca: 0x6007,
  mopdl: 0x6001,
  moprc: 0x6002,
} as const;
export const LLCSAP = { iso: 0xfe, ip: 0x06, netbeui: 0xf0, ipx: 0xe0, stp: 0x42 } as const;

/** PPP protocol numbers for the Ethernet types and SAPs that have one (ethertype_to_ppptype). */
const PPP_TYPES: ReadonlyMap<number, number> = new Map([
  [ETHERTYPE.ip, 0x21],
  [ETHERTYPE.ip6, 0x57],
  [ETHERTYPE.decnet, 0x27],
  [ETHERTYPE.atalk, 0x29],
  [0x0600, 0x25],
  [LLCSAP.iso, 0x23],
  [LLCSAP.stp, 0x31],
  [LLCSAP.ipx, 0x2b],
  [ETHERTYPE.mpls, 0x281],
]);

/** 802.3 frame: the type/length field holds a length (<= 1500). */
function isLengthField(ctx: LowerContext): Cond {
  return not(cmpGreater(ctx, "linktype", 0, 2, ETHERMTU));
}

/** SNAP header with `oui` and `type` after an LLC AA-AA-03 header (gen_snap). */
function snap(ctx: LowerContext, oui: number, type: number): Cond {
  const bytes = new Uint8Array([
    0xaa,
    0xaa,
    0x03,
    oui >>> 16,
    (oui >>> 8) & 0xff,
    oui & 0xff,
    type >>> 8,
    type & 0xff,
  ]);
  return bytesCmp(ctx, "llc", 0, bytes);
}

/** The frame carries protocol `proto` (an Ethernet type, or an LLC SAP when <= 1500). */
export function linkType(ctx: LowerContext, proto: number): Cond {
  if (ctx.labelStackDepth > 0) {
    // After MPLS only IPv4/IPv6 can be recognised: bottom of stack, then the version nibble.
    if (proto !== ETHERTYPE.ip && proto !== ETHERTYPE.ip6) {
      throw new FilterSemanticError("unsupported protocol over mpls");
    }
    const bottom = maskedCmp(ctx, "prevmpls", 2, 1, 0x01, 0x01);
    return and(bottom, maskedCmp(ctx, "net", 0, 1, proto === ETHERTYPE.ip ? 0x40 : 0x60, 0xf0));
  }
  if (ctx.pppPayload) return cmp(ctx, "linktype", 0, 2, PPP_TYPES.get(proto) ?? proto);
  switch (proto) {
    case LLCSAP.iso:
    case LLCSAP.ip:
    case LLCSAP.netbeui:
      return and(isLengthField(ctx), cmp(ctx, "llc", 0, 2, (proto << 8) | proto));
    case LLCSAP.ipx: {
      const sap = or(cmp(ctx, "llc", 0, 1, LLCSAP.ipx), cmp(ctx, "llc", 0, 2, 0xffff));
      const framed = and(isLengthField(ctx), or(snap(ctx, 0x000000, ETHERTYPE.ipx), sap));
      return or(cmp(ctx, "linktype", 0, 2, ETHERTYPE.ipx), framed);
    }
    case ETHERTYPE.atalk:
    case ETHERTYPE.aarp: {
      const snapped = proto === ETHERTYPE.atalk
        ? snap(ctx, 0x080007, proto)
        : snap(ctx, 0x000000, proto);
      return or(cmp(ctx, "linktype", 0, 2, proto), and(isLengthField(ctx), snapped));
    }
    default:
      if (proto <= ETHERMTU) return and(isLengthField(ctx), cmp(ctx, "linktype", 2, 1, proto));
      return cmp(ctx, "linktype", 0, 2, proto);
  }
}

function requireEthernetHeader(ctx: LowerContext): void {
  if (ctx.pppPayload) {
    throw new FilterSemanticError(
      "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel",
    );
  }
}

/** After `geneve`, an Ethernet-header test first checks that the inner frame has one. */
function withLinkHeader(ctx: LowerContext, cond: () => Cond): Cond {
  if (!ctx.geneve) return cond();
  return and(geneveHasLinkHeader(ctx), cond());
}

/** `ether [src|dst] host MAC` (gen_ehostop). */
export function etherHost(ctx: LowerContext, mac: Uint8Array, dir: DirQualifier): Cond {
  requireEthernetHeader(ctx);
  return withLinkHeader(ctx, () => etherHostOp(ctx, mac, dir));
}

function etherHostOp(ctx: LowerContext, mac: Uint8Array, dir: DirQualifier): Cond {
  const src = () => bytesCmp(ctx, "packet", 6, mac);
  const dst = () => bytesCmp(ctx, "packet", 0, mac);
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

export function etherBroadcast(ctx: LowerContext): Cond {
  requireEthernetHeader(ctx);
  return withLinkHeader(ctx, () => bytesCmp(ctx, "packet", 0, new Uint8Array(6).fill(0xff)));
}

export function etherMulticast(ctx: LowerContext): Cond {
  requireEthernetHeader(ctx);
  return withLinkHeader(
    ctx,
    () => branch(load(ctx, "packet", 0, 1), BPF_JMP | BPF_JSET | BPF_K, 1),
  );
}

/** `llc`: an 802.3 frame that is not Novell raw 802.3 (DSAP/SSAP 0xFFFF). */
export function llc(ctx: LowerContext): Cond {
  if (ctx.pppPayload) throw new FilterSemanticError("'llc' not supported for PPP");
  return and(isLengthField(ctx), not(cmp(ctx, "llc", 0, 2, 0xffff)));
}

/** LLC control field values: format (I, S, U) or command, with the bits that select it. */
const LLC_FRAME_TYPES: ReadonlyMap<string, { value: number; mask: number }> = new Map([
  ["s", { value: 0x01, mask: 0x03 }],
  ["u", { value: 0x03, mask: 0x03 }],
  ["rr", { value: 0x01, mask: 0x0f }],
  ["rnr", { value: 0x05, mask: 0x0f }],
  ["rej", { value: 0x09, mask: 0x0f }],
  ["ui", { value: 0x03, mask: 0xef }],
  ["ua", { value: 0x63, mask: 0xef }],
  ["disc", { value: 0x43, mask: 0xef }],
  ["dm", { value: 0x0f, mask: 0xef }],
  ["sabme", { value: 0x6f, mask: 0xef }],
  ["test", { value: 0xe3, mask: 0xef }],
  ["xid", { value: 0xaf, mask: 0xef }],
  ["frmr", { value: 0x87, mask: 0xef }],
]);

/** `llc i`, `llc s`, `llc u` and the S and U commands (`llc rr`, `llc ui`, ...): the control byte. */
export function llcFrameType(ctx: LowerContext, name: string): Cond {
  if (name === "i") {
    // Information frames have the low bit of the control byte clear.
    return and(llc(ctx), not(branch(load(ctx, "llc", 2, 1), BPF_JMP | BPF_JSET | BPF_K, 0x01)));
  }
  const type = LLC_FRAME_TYPES.get(name);
  if (type === undefined) throw new FilterSemanticError(`unknown LLC type name "${name}"`);
  return and(llc(ctx), maskedCmp(ctx, "llc", 2, 1, type.value, type.mask));
}

/** `less N` (length <= N) and `greater N` (length >= N), on the wire length. */
export function lengthCompare(kind: "less" | "greater", value: number): Cond {
  const len = [stmt(BPF_LD | BPF_W | BPF_LEN)];
  if (kind === "greater") return branch(len, BPF_JMP | BPF_JGE | BPF_K, value);
  return not(branch(len, BPF_JMP | BPF_JGT | BPF_K, value));
}

/** Parses a MAC address in any of the scanner's forms into 6 bytes. */
export function parseMac(text: string): Uint8Array {
  // Without RegExps: V8 compiles each on its first use, a large part of a process's first compile.
  const dotted = text.length === 14 && text[4] === "." && text[9] === ".";
  const digits = dotted ? text.slice(0, 4) + text.slice(5, 9) + text.slice(10) : text;
  const parts: string[] = [];
  if (digits.length === 12 && isRun(digits, 12, isHexDigit)) {
    for (let i = 0; i < 12; i += 2) parts.push(digits.slice(i, i + 2));
  } else {
    let start = 0;
    for (let i = 0; i <= text.length; i++) {
      if (i === text.length || text[i] === ":" || text[i] === "." || text[i] === "-") {
        parts.push(text.slice(start, i));
        start = i + 1;
      }
    }
  }
  return new Uint8Array(parts.map((h) => parseInt(h, 16)));
}

/**
 * `byte INDEX OP VALUE` (libpcap gen_byteop): `=`, `<`, `>` compare the byte
 * at INDEX of the link-layer header. For `&` and `|` libpcap emits only the
 * ALU operation on whatever A holds, without loading the byte; reproduced
 * as is, so verdicts match tcpdump's.
 */
export function byteTest(
  ctx: LowerContext,
  index: number,
  op: "&" | "|" | "<" | ">" | "=",
  value: number,
): Cond {
  switch (op) {
    case "=":
      return cmp(ctx, "packet", index, 1, value);
    case "<":
      return not(branch(load(ctx, "packet", index, 1), BPF_JMP | BPF_JGE | BPF_K, value));
    case ">":
      return cmpGreater(ctx, "packet", index, 1, value);
    default:
      return not(
        branch(
          [stmt(BPF_ALU | (op === "|" ? BPF_OR : BPF_AND) | BPF_K, value)],
          BPF_JMP | BPF_JEQ | BPF_K,
          0,
        ),
      );
  }
}

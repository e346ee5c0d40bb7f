/**
 * The syntax tree of a filter expression: plain records, one discriminated
 * union for boolean expressions and one for arithmetic. Nodes are in source
 * order; lowering walks them left to right because `vlan`, `mpls` and
 * `pppoes` shift the offsets of everything parsed after them (libpcap).
 */

/** Protocol qualifier (`ether` is spelled `link`), or undefined when absent. */
export type ProtoQualifier = string | undefined;
/** Direction qualifier: `src`, `dst`, `src or dst` ("or"), `src and dst` ("and"). */
export type DirQualifier = "src" | "dst" | "or" | "and" | undefined;
/** Address-type qualifier. */
export type AddrQualifier =
  | "host"
  | "net"
  | "port"
  | "portrange"
  | "proto"
  | "protochain"
  | "gateway"
  | undefined;

/** The qualifiers in force for an identifier (libpcap's struct qual). */
export interface Qualifiers {
  readonly proto: ProtoQualifier;
  readonly dir: DirQualifier;
  readonly addr: AddrQualifier;
  /** True after a term that cannot pass qualifiers on (`tcp or 80` is an error). */
  readonly none?: boolean;
}

/** What an identifier is, as the scanner saw it. */
export type IdValue =
  | { readonly kind: "num"; readonly value: number }
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "ipv4"; readonly text: string }
  | { readonly kind: "ipv4-net"; readonly text: string; readonly bits: number }
  | { readonly kind: "ipv4-mask"; readonly text: string; readonly mask: string }
  | { readonly kind: "ipv6"; readonly text: string; readonly bits: number }
  | { readonly kind: "mac"; readonly text: string }
  | { readonly kind: "arcnet"; readonly text: string };

export type Expr =
  | { readonly kind: "and"; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "or"; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "not"; readonly operand: Expr }
  /** A qualified identifier: `tcp src port 80`, `host 1.2.3.4`, `net 10/8`. */
  | { readonly kind: "id"; readonly q: Qualifiers; readonly id: IdValue; readonly at: number }
  /** A bare protocol name: `tcp`, `ip6`, `isis`. */
  | { readonly kind: "proto"; readonly proto: string; readonly at: number }
  /** `[proto] broadcast`, `[proto] multicast`. */
  | {
    readonly kind: "cast";
    readonly proto: ProtoQualifier;
    readonly cast: "broadcast" | "multicast";
    readonly at: number;
  }
  | { readonly kind: "less" | "greater"; readonly value: number }
  /** `vlan [ID]`, `mpls [LABEL]`, `pppoes [ID]`, `geneve [VNI]`, `pppoed`. */
  | {
    readonly kind: "encap";
    readonly encap: "vlan" | "mpls" | "pppoes" | "pppoed" | "geneve";
    readonly value: number | undefined;
    readonly at: number;
  }
  /** `llc [i|s|u|rr|rnr|rej|ui|ua|disc|dm|sabme|test|xid|frmr]`. */
  | { readonly kind: "llc"; readonly frameType: string | undefined; readonly at: number }
  /** `byte INDEX OP VALUE` (an old form of `ether[INDEX] OP VALUE`). */
  | {
    readonly kind: "byte";
    readonly index: number;
    readonly op: "&" | "|" | "<" | ">" | "=";
    readonly value: number;
  }
  /** `arith relop arith`; `<`, `<=`, `!=` are negations of `>=`, `>`, `=`. */
  | {
    readonly kind: "relation";
    readonly op: ">" | ">=" | "=" | "<" | "<=" | "!=";
    readonly left: Arith;
    readonly right: Arith;
  }
  /** Something tcpdump knows but not for Ethernet captures (`inbound`, 802.11, ...). */
  | { readonly kind: "unsupported"; readonly what: string; readonly at: number };

export type ArithOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>";

export type Arith =
  | { readonly kind: "const"; readonly value: number }
  | { readonly kind: "len" }
  | { readonly kind: "neg"; readonly operand: Arith }
  | { readonly kind: "binary"; readonly op: ArithOp; readonly left: Arith; readonly right: Arith }
  /** `proto[index]`, `proto[index:size]`. */
  | {
    readonly kind: "load";
    readonly proto: string;
    readonly index: Arith;
    readonly size: 1 | 2 | 4;
    readonly at: number;
  };

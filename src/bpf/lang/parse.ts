/**
 * Recursive-descent parser for the tcpdump filter language with libpcap's
 * grammar (grammar.y): `and` and `or` are left-associative with equal
 * precedence; `not` binds tighter; after `and`/`or` a bare identifier
 * inherits the qualifiers of the term before it (`host a or b`,
 * `port 80 or 443`). Where yacc decides by lookahead, this parser tries the
 * identifier reading first and falls back to a full term.
 */
import { FilterSemanticError, FilterSyntaxError } from "../errors.ts";
import type {
  AddrQualifier,
  Arith,
  ArithOp,
  DirQualifier,
  Expr,
  IdValue,
  Qualifiers,
} from "./ast.ts";
import { lex, type Token } from "./lex.ts";

/** Protocol names usable as qualifiers and as `proto[...]` (libpcap's pname). */
const PNAMES = new Set([
  "link",
  "ip",
  "arp",
  "rarp",
  "sctp",
  "tcp",
  "udp",
  "icmp",
  "igmp",
  "igrp",
  "pim",
  "vrrp",
  "carp",
  "atalk",
  "aarp",
  "decnet",
  "lat",
  "sca",
  "mopdl",
  "moprc",
  "ip6",
  "icmp6",
  "ah",
  "esp",
  "iso",
  "esis",
  "isis",
  "l1",
  "l2",
  "iih",
  "lsp",
  "snp",
  "psnp",
  "csnp",
  "clnp",
  "stp",
  "ipx",
  "netbeui",
  "radio",
]);
const AQUALS = new Set(["host", "net", "port", "portrange"]);
const NO_QUALIFIERS: Qualifiers = { proto: undefined, dir: undefined, addr: undefined, none: true };

/** Keywords of capture types fmagent does not filter (802.11, ATM, SS7, pflog, direction). */
const UNSUPPORTED = new Set([
  "inbound",
  "outbound",
  "ifindex",
  "type",
  "subtype",
  "dir",
  "addr1",
  "addr2",
  "addr3",
  "addr4",
  "ra",
  "ta",
  "lane",
  "metac",
  "bcc",
  "oam",
  "oamf4",
  "oamf4ec",
  "oamf4sc",
  "sc",
  "ilmic",
  "vpi",
  "vci",
  "connectmsg",
  "metaconnect",
  "on",
  "rset",
  "rnr",
  "srnr",
  "reason",
  "action",
  "fisu",
  "lssu",
  "msu",
  "hfisu",
  "hlssu",
  "hmsu",
  "sio",
  "opc",
  "dpc",
  "sls",
  "hsio",
  "hopc",
  "hdpc",
  "hsls",
]);

/** Binding strength of the arithmetic operators that have one in libpcap; `^` and `%` have none. */
const ARITH_PRECEDENCE: Readonly<Record<string, number>> = {
  "|": 1,
  "&": 2,
  "<<": 3,
  ">>": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
};
const RELOPS = new Set([">", ">=", "=", "<", "<=", "!="]);
/** Tokens that can follow a parenthesised arithmetic operand but not a parenthesised expression. */
const ARITH_FOLLOWERS: ReadonlySet<string> = new Set([
  ...RELOPS,
  ...Object.keys(ARITH_PRECEDENCE),
  "^",
  "%",
]);
/** Deepest parenthesis nesting accepted (libpcap's parser stops near 10000 tokens of depth). */
const MAX_NESTING = 1000;

class Backtrack extends Error {}

/** Parses `expression`; `undefined` for an empty expression (which matches every packet). */
export function parseFilter(expression: string): Expr | undefined {
  const parser = new Parser(expression, lex(expression));
  return parser.program();
}

class Parser {
  #at = 0;
  constructor(readonly source: string, readonly tokens: readonly Token[]) {}

  program(): Expr | undefined {
    if (this.peek().kind === "eof") return undefined;
    const { expr } = this.expr(NO_QUALIFIERS);
    const next = this.peek();
    if (next.kind !== "eof") this.fail(next);
    return expr;
  }

  /** Parenthesis nesting; bounded so a hostile expression cannot exhaust the stack. */
  depth = 0;

  enter(t: Token): void {
    if (++this.depth > MAX_NESTING) {
      throw new FilterSyntaxError(
        `expression nested more than ${MAX_NESTING} deep`,
        this.source,
        t.start,
      );
    }
  }

  /** Whether the token after the ')' matching the '(' at the current position is one of `ops`. */
  followsClosingParen(ops: ReadonlySet<string>): boolean {
    let level = 0;
    for (let i = this.#at; i < this.tokens.length; i++) {
      const tok = this.tokens[i]!;
      if (tok.kind === "eof") return false;
      if (tok.kind !== "op") continue;
      if (tok.text === "(" || tok.text === "[") level++;
      else if (tok.text === ")" || tok.text === "]") {
        if (--level === 0) {
          const next = this.tokens[i + 1];
          return next !== undefined && next.kind === "op" && ops.has(next.text);
        }
      }
    }
    return false;
  }

  // ---- token helpers ----
  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.#at + ahead, this.tokens.length - 1)]!;
  }
  take(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.#at++;
    return t;
  }
  isKeyword(t: Token, ...words: string[]): boolean {
    return t.kind === "keyword" && words.includes(t.text);
  }
  isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === "op" && ops.includes(t.text);
  }
  expectOp(op: string): Token {
    const t = this.take();
    if (!this.isOp(t, op)) this.fail(t, `expected '${op}'`);
    return t;
  }
  fail(t: Token, what?: string): never {
    const found = t.kind === "eof" ? "end of expression" : `'${t.text}'`;
    throw new FilterSyntaxError(
      what === undefined
        ? `syntax error: unexpected ${found}`
        : `syntax error: ${what}, found ${found}`,
      this.source,
      t.start,
    );
  }
  /** Runs `body`; on a syntax error restores the position and returns undefined. */
  attempt<T>(body: () => T): T | undefined {
    const start = this.#at;
    const depth = this.depth;
    try {
      return body();
    } catch (error) {
      if (error instanceof FilterSyntaxError || error instanceof Backtrack) {
        this.#at = start;
        this.depth = depth;
        return undefined;
      }
      throw error;
    }
  }

  // ---- boolean expressions ----
  expr(context: Qualifiers): { expr: Expr; q: Qualifiers } {
    let { expr, q } = this.term(context);
    for (;;) {
      const t = this.peek();
      if (!this.isKeyword(t, "and", "or")) return { expr, q };
      this.take();
      const kind = t.text as "and" | "or";
      const inherited = q;
      // Trying a bare identifier costs a thrown error when it fails; skip what cannot start one.
      const id = !this.mayStartId() ? undefined : this.attempt(() => {
        const node = this.id(inherited);
        const after = this.peek();
        if (
          !(after.kind === "eof" || this.isKeyword(after, "and", "or") || this.isOp(after, ")"))
        ) {
          throw new Backtrack();
        }
        return node;
      });
      if (id !== undefined) {
        expr = { kind, left: expr, right: id };
        q = inherited;
      } else {
        const right = this.term(inherited);
        expr = { kind, left: expr, right: right.expr };
        q = right.q;
      }
    }
  }

  term(context: Qualifiers): { expr: Expr; q: Qualifiers } {
    if (this.isKeyword(this.peek(), "not")) {
      this.take();
      const inner = this.term(context);
      return { expr: { kind: "not", operand: inner.expr }, q: inner.q };
    }
    return this.rterm(context);
  }

  rterm(context: Qualifiers): { expr: Expr; q: Qualifiers } {
    const t = this.peek();
    if (this.isOp(t, "(")) {
      // `( arith ) relop arith` or `( expr )`: decided by what follows the matching ')'.
      if (this.followsClosingParen(ARITH_FOLLOWERS)) {
        return { expr: this.relation(), q: NO_QUALIFIERS };
      }
      this.take();
      this.enter(t);
      const inner = this.expr(context);
      this.expectOp(")");
      this.depth--;
      return { expr: inner.expr, q: context };
    }
    if (t.kind === "keyword") {
      const next = this.peek(1);
      if (PNAMES.has(t.text)) {
        if (
          this.isKeyword(
            next,
            "src",
            "dst",
            "host",
            "net",
            "port",
            "portrange",
            "proto",
            "protochain",
            "gateway",
          )
        ) {
          return this.head();
        }
        if (this.isKeyword(next, "broadcast", "multicast")) {
          this.take();
          this.take();
          return {
            expr: { kind: "cast", proto: t.text, cast: next.text as "broadcast", at: t.start },
            q: NO_QUALIFIERS,
          };
        }
        if (this.isOp(next, "[")) return { expr: this.relation(), q: NO_QUALIFIERS };
        this.take();
        return { expr: { kind: "proto", proto: t.text, at: t.start }, q: NO_QUALIFIERS };
      }
      if (this.isKeyword(t, "src", "dst", "proto", "protochain", "gateway") || AQUALS.has(t.text)) {
        return this.head();
      }
      return { expr: this.other(), q: NO_QUALIFIERS };
    }
    return { expr: this.relation(), q: NO_QUALIFIERS };
  }

  /**
   * Whether the tokens from `ahead` on can start an identifier: `id` fails on
   * anything else (`not`s and `(`s, then a keyword, another operator or the
   * end), and that failure, a thrown error, is what a first compile pays most
   * for in parsing.
   */
  mayStartId(ahead = 0): boolean {
    while (this.isKeyword(this.peek(ahead), "not")) ahead++;
    const t = this.peek(ahead);
    if (t.kind === "op") return t.text === "(" && this.mayStartId(ahead + 1);
    return t.kind !== "keyword" && t.kind !== "eof";
  }

  /** `[pqual] [dqual] [aqual] id` */
  head(): { expr: Expr; q: Qualifiers } {
    let proto: string | undefined;
    let dir: DirQualifier;
    let addr: AddrQualifier;
    const first = this.peek();
    if (first.kind === "keyword" && PNAMES.has(first.text)) proto = this.take().text;
    const t = this.peek();
    if (this.isKeyword(t, "src", "dst")) {
      this.take();
      dir = t.text as "src" | "dst";
      const join = this.peek();
      if (this.isKeyword(join, "or", "and")) {
        this.take();
        const other = this.take();
        const wanted = dir === "src" ? "dst" : "src";
        if (!this.isKeyword(other, wanted)) this.fail(other, `expected '${wanted}'`);
        dir = join.text as "or" | "and";
      }
      if (this.peek().kind === "keyword" && AQUALS.has(this.peek().text)) {
        addr = this.take().text as AddrQualifier;
      }
    } else if (
      t.kind === "keyword" &&
      (AQUALS.has(t.text) || ["proto", "protochain", "gateway"].includes(t.text))
    ) {
      addr = this.take().text as AddrQualifier;
    } else {
      this.fail(t);
    }
    const q: Qualifiers = { proto, dir, addr };
    return { expr: this.id(q), q };
  }

  /** An identifier under qualifiers `q` (libpcap's `id`). */
  id(q: Qualifiers, allowParenthesized = true): Expr {
    const t = this.peek();
    if (this.isKeyword(t, "not")) {
      this.take();
      return { kind: "not", operand: this.id(q) };
    }
    if (this.isOp(t, "(")) {
      // `( NUM )`, `((NUM))`: only worth trying (a failure throws) when a number follows the `(`s.
      let ahead = 1;
      while (this.isOp(this.peek(ahead), "(")) ahead++;
      const number = this.peek(ahead).kind === "num" ? this.attempt(() => this.pnum()) : undefined;
      if (number !== undefined) return this.idNode(q, { kind: "num", value: number }, t);
      // libpcap's `pid`: the first identifier inside may not itself be parenthesised.
      if (!allowParenthesized) this.fail(t);
      this.take();
      this.enter(t);
      let expr = this.id(q, false);
      while (this.isKeyword(this.peek(), "and", "or")) {
        const kind = this.take().text as "and" | "or";
        expr = { kind, left: expr, right: this.id(q) };
      }
      this.expectOp(")");
      this.depth--;
      return expr;
    }
    this.take();
    switch (t.kind) {
      case "num":
        return this.idNode(q, { kind: "num", value: t.value }, t);
      case "id":
        return this.idNode(q, { kind: "name", name: t.text }, t);
      case "eid":
        return this.idNode(q, { kind: "mac", text: t.text }, t);
      case "aid":
        return this.idNode(q, { kind: "arcnet", text: t.text }, t);
      case "hid": {
        if (this.isOp(this.peek(), "/")) {
          this.take();
          const bits = this.take();
          if (bits.kind !== "num") this.fail(bits, "expected a prefix length");
          this.addressQualifierCheck(q, "IP address and prefix length");
          return this.idNode(q, { kind: "ipv4-net", text: t.text, bits: bits.value }, t);
        }
        if (this.isKeyword(this.peek(), "mask")) {
          this.take();
          const mask = this.take();
          if (mask.kind !== "hid") this.fail(mask, "expected a netmask");
          this.addressQualifierCheck(q, "IP address and netmask");
          return this.idNode(q, { kind: "ipv4-mask", text: t.text, mask: mask.text }, t);
        }
        this.addressQualifierCheck(q, "IP address");
        return this.idNode(q, { kind: "ipv4", text: t.text }, t);
      }
      case "hid6": {
        let bits = 128;
        if (this.isOp(this.peek(), "/")) {
          this.take();
          const b = this.take();
          if (b.kind !== "num") this.fail(b, "expected a prefix length");
          bits = b.value;
        }
        this.addressQualifierCheck(q, "IP address");
        return this.idNode(q, { kind: "ipv6", text: t.text, bits }, t);
      }
      default:
        return this.fail(t);
    }
  }

  idNode(q: Qualifiers, id: IdValue, t: Token): Expr {
    if (q.none === true && id.kind === "num") {
      // yacc accepts the token, gen_ncode then refuses the missing qualifier.
      throw new FilterSyntaxError(
        "syntax error: a number needs a qualifier such as 'port'",
        this.source,
        t.start,
      );
    }
    return { kind: "id", q, id, at: t.start };
  }

  addressQualifierCheck(q: Qualifiers, what: string): void {
    if (
      q.addr === "port" || q.addr === "portrange" || q.addr === "proto" || q.addr === "protochain"
    ) {
      throw new FilterSemanticError(`'${q.addr}' modifier applied to ${what}`);
    }
  }

  /** `NUM` or `( pnum )`. */
  pnum(): number {
    const t = this.take();
    if (t.kind === "num") return t.value;
    if (this.isOp(t, "(")) {
      const n = this.pnum();
      this.expectOp(")");
      return n;
    }
    return this.fail(t, "expected a number");
  }

  /** Primitives that are neither qualified identifiers nor relations. */
  other(): Expr {
    const t = this.take();
    switch (t.text) {
      case "broadcast":
      case "multicast":
        return { kind: "cast", proto: undefined, cast: t.text, at: t.start };
      case "less":
      case "greater": {
        const n = this.take();
        if (n.kind !== "num") this.fail(n, "expected a number");
        return { kind: t.text, value: n.value };
      }
      case "vlan":
      case "mpls":
      case "pppoes":
      case "geneve": {
        const next = this.peek();
        const value = next.kind === "num" || this.isOp(next, "(") ? this.pnum() : undefined;
        return { kind: "encap", encap: t.text, value, at: t.start };
      }
      case "pppoed":
        return { kind: "encap", encap: "pppoed", value: undefined, at: t.start };
      case "byte": {
        const index = this.take();
        if (index.kind !== "num") this.fail(index, "expected a byte offset");
        const op = this.take();
        if (!this.isOp(op, "&", "|", "<", ">", "=")) this.fail(op, "expected one of & | < > =");
        const value = this.take();
        if (value.kind !== "num") this.fail(value, "expected a number");
        return { kind: "byte", index: index.value, op: op.text as "&", value: value.value };
      }
      case "llc": {
        const next = this.peek();
        // `rnr` is also a pflog keyword, so the scanner never gives it as a name.
        if (next.kind === "id" || this.isKeyword(next, "rnr")) {
          this.take();
          return { kind: "llc", frameType: next.text, at: t.start };
        }
        return { kind: "llc", frameType: undefined, at: t.start };
      }
      case "len":
        this.#at--;
        return this.relation();
    }
    if (UNSUPPORTED.has(t.text)) {
      // Consume the operands these primitives take so the message names the primitive.
      while (this.peek().kind === "num" || this.peek().kind === "id") this.take();
      return { kind: "unsupported", what: `'${t.text}'`, at: t.start };
    }
    return this.fail(t);
  }

  // ---- relations and arithmetic ----
  relation(): Expr {
    const left = this.arith();
    const op = this.take();
    if (!(op.kind === "op" && RELOPS.has(op.text))) this.fail(op, "expected a comparison");
    const right = this.arith();
    return { kind: "relation", op: op.text as ">", left, right };
  }

  /** Operator-precedence parse reproducing yacc's choices, including the precedence-less `^` and `%`. */
  arith(): Arith {
    const operands: Arith[] = [this.operand()];
    const ops: string[] = [];
    const reduce = () => {
      const right = operands.pop()!;
      const left = operands.pop()!;
      operands.push({ kind: "binary", op: ops.pop() as ArithOp, left, right });
    };
    for (;;) {
      const t = this.peek();
      const prec = t.kind === "op" ? ARITH_PRECEDENCE[t.text] : undefined;
      if (prec === undefined) break;
      this.take();
      while (ops.length > 0 && (ARITH_PRECEDENCE[ops[ops.length - 1]!] ?? 0) >= prec) reduce();
      ops.push(t.text);
      operands.push(this.operand());
    }
    while (ops.length > 0) reduce();
    return operands[0]!;
  }

  /** A primary, extended by `^`/`%` which take everything to their right (yacc shifts them). */
  operand(): Arith {
    const base = this.unary();
    const t = this.peek();
    if (this.isOp(t, "^", "%")) {
      this.take();
      return { kind: "binary", op: t.text as ArithOp, left: base, right: this.arith() };
    }
    return base;
  }

  unary(): Arith {
    const t = this.peek();
    if (this.isOp(t, "-")) {
      this.take();
      return { kind: "neg", operand: this.operand() };
    }
    return this.primary();
  }

  primary(): Arith {
    const t = this.take();
    if (t.kind === "num") return { kind: "const", value: t.value };
    if (this.isKeyword(t, "len")) return { kind: "len" };
    if (this.isOp(t, "(")) {
      this.enter(t);
      const inner = this.arith();
      this.expectOp(")");
      this.depth--;
      return inner;
    }
    if (t.kind === "keyword" && PNAMES.has(t.text) && this.isOp(this.peek(), "[")) {
      this.take();
      const index = this.arith();
      let size: 1 | 2 | 4 = 1;
      if (this.isOp(this.peek(), ":")) {
        this.take();
        const s = this.take();
        if (s.kind !== "num") this.fail(s, "expected a size");
        if (s.value !== 1 && s.value !== 2 && s.value !== 4) {
          throw new FilterSemanticError("data size must be 1, 2, or 4");
        }
        size = s.value;
      }
      this.expectOp("]");
      return { kind: "load", proto: t.text, index, size, at: t.start };
    }
    return this.fail(t);
  }
}

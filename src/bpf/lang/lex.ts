/**
 * The tokenizer of the tcpdump filter language, following libpcap's
 * scanner.l: longest match wins, keywords and named constants beat names of
 * the same length, and names may contain `-`, `_` and `.` (so `len-1` is one
 * name, as in tcpdump).
 */
import { FilterSyntaxError } from "../errors.ts";
import { NAMED_NUMBERS } from "./named_numbers.ts";
import { KEYWORDS } from "./keywords.ts";

export type TokenKind =
  | "keyword" // a reserved word: `text` is the canonical keyword
  | "num" // a number: `value`
  | "hid" // dotted IPv4 form with 1 to 4 parts
  | "hid6" // IPv6 address
  | "eid" // Ethernet (MAC) address
  | "aid" // ARCnet address ($xx)
  | "id" // a name (host, port, protocol, service)
  | "op" // punctuation and operators: `text`
  | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** Keyword (canonical), operator, or the source text of an address or name. */
  readonly text: string;
  /** For `num`: the value, an unsigned 32-bit integer. */
  readonly value: number;
  /** Offset of the first character in the expression. */
  readonly start: number;
  readonly end: number;
}

const OPERATORS2 = [">=", "<=", "!=", "==", "<<", ">>", "&&", "||"];
const OPERATORS1 = "+-*/%:[]!<>()&|^=";

const N = "(?:0[xX][0-9A-Fa-f]+|[0-9]+)";
const B = "[0-9A-Fa-f]{1,2}";
const B2 = "(?:[0-9A-Fa-f]{4})";
const PATTERNS = {
  mac: new RegExp(
    `(?:${B}:${B}:${B}:${B}:${B}:${B}|${B}-${B}-${B}-${B}-${B}-${B}|${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}|${B2}\\.${B2}\\.${B2}|${B2}{3})`,
    "y",
  ),
  num: new RegExp(N, "y"),
  hid: new RegExp(`${N}(?:\\.${N}){1,3}`, "y"),
  // Candidate IPv6 text; validated by parseIpv6 (libpcap lists every form).
  hid6: /[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]+\.[0-9]+\.[0-9]+)?/y,
  bogusMac: new RegExp(`${B}:+(?:${B}:+)+`, "y"),
  id: /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y,
  aid: new RegExp(`\\$${B}`, "y"),
  escaped: /\\[^ !()\n\t]+/y,
} as const;

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  const m = pattern.exec(text);
  return m === null ? undefined : m[0];
}

/** The 16 bytes of an IPv6 address in text form, or undefined if it is not one. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  let v4: number[] | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const parts = text.slice(lastColon + 1).split(".");
    if (parts.length !== 4) return undefined;
    v4 = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : 256));
    if (v4.some((p) => p > 255)) return undefined;
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const split = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const left = split(halves[0] ?? "");
  const right = halves.length === 2 ? split(halves[1] ?? "") : [];
  const groups = left.length + right.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const words = [...left, ...Array(8 - groups).fill("0"), ...right];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = words[i] ?? "";
    if (!/^[0-9A-Fa-f]{1,4}$/.test(w)) return undefined;
    const n = parseInt(w, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  }
  if (v4 !== undefined) bytes.set(v4, 12);
  return bytes;
}

/** Value of a libpcap number (decimal, 0x hex, leading-0 octal), range-checked to 32 bits. */
function numberValue(text: string, expression: string, at: number): number {
  let value: number;
  if (/^0[xX]/.test(text)) value = parseInt(text.slice(2), 16);
  else if (text.length > 1 && text.startsWith("0")) {
    if (!/^[0-7]+$/.test(text)) {
      throw new FilterSyntaxError(`number ${text} contains non-octal digit`, expression, at);
    }
    value = parseInt(text, 8);
  } else value = Number(text);
  if (!(value <= 0xffffffff)) {
    throw new FilterSyntaxError(`number ${text} overflows 32 bits`, expression, at);
  }
  return value;
}

/**
 * Whether the word at `at` can only be a number or a name: the address forms
 * (MAC, dotted, IPv6, bogus MAC) all need a ':', '.' or '-' right after the
 * leading hex digits (or 0x prefix), or twelve hex digits in a row. Saves
 * compiling and running their patterns for plain numbers and words like `and`.
 */
function numberOrName(expression: string, at: number): boolean {
  let end = at;
  for (; end < expression.length; end++) {
    const code = expression.charCodeAt(end) | 0x20; // ASCII lower case
    const hexOrX = (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66) ||
      code === 0x78;
    if (!hexOrX) break;
  }
  const next = expression[end];
  return end - at < 12 && next !== ":" && next !== "." && next !== "-";
}

/** Splits `expression` into tokens, ending with one `eof` token. */
export function lex(expression: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const push = (kind: TokenKind, text: string, length: number, value = 0) => {
    tokens.push({ kind, text, value, start: at, end: at + length });
    at += length;
  };
  while (at < expression.length) {
    const c = expression[at] ?? "";
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      at++;
      continue;
    }
    const two = expression.slice(at, at + 2);
    if (OPERATORS2.includes(two)) {
      const canonical = two === "&&" ? "and" : two === "||" ? "or" : two === "==" ? "=" : two;
      if (canonical === "and" || canonical === "or") push("keyword", canonical, 2);
      else push("op", canonical, 2);
      continue;
    }
    // An IPv6 address may start with "::"; it is longer than the ':' operator.
    const v6 = c === ":" ? matchAt(PATTERNS.hid6, expression, at) : undefined;
    if (OPERATORS1.includes(c) && !(v6 !== undefined && v6.includes("::"))) {
      if (c === "!") push("keyword", "not", 1);
      else push("op", c, 1);
      continue;
    }
    if (c === "\\") {
      const text = matchAt(PATTERNS.escaped, expression, at);
      if (text !== undefined) {
        push("id", text.slice(1), text.length);
        continue;
      }
    }
    if (c === "$") {
      const text = matchAt(PATTERNS.aid, expression, at);
      if (text !== undefined) {
        push("aid", text, text.length);
        continue;
      }
    }
    // Longest match among the address, number and name forms; ties go to the
    // earlier rule, as in flex (keywords and named numbers are names here).
    // Addresses and numbers start with a hex digit or ':'; a word starting with
    // a letter past 'f' can only be a name (this also spares compiling their patterns).
    const nameOnly = /[G-Zg-z]/.test(c);
    const candidates: Array<[TokenKind | "bogusMac", string | undefined]> = nameOnly
      ? [["id", matchAt(PATTERNS.id, expression, at)]]
      : numberOrName(expression, at)
      ? [
        ["num", matchAt(PATTERNS.num, expression, at)],
        ["id", matchAt(PATTERNS.id, expression, at)],
      ]
      : [
        ["eid", matchAt(PATTERNS.mac, expression, at)],
        ["num", matchAt(PATTERNS.num, expression, at)],
        ["hid", matchAt(PATTERNS.hid, expression, at)],
        ["hid6", matchAt(PATTERNS.hid6, expression, at)],
        ["bogusMac", matchAt(PATTERNS.bogusMac, expression, at)],
        ["id", matchAt(PATTERNS.id, expression, at)],
      ];
    let best: [TokenKind | "bogusMac", string] | undefined;
    for (const [kind, text] of candidates) {
      if (text === undefined || text.length === 0) continue;
      if (kind === "hid6" && !text.includes("::") && text.split(":").length < 8) continue;
      if (best === undefined || text.length > best[1].length) best = [kind, text];
    }
    if (best === undefined) {
      throw new FilterSyntaxError(`unexpected character '${c}'`, expression, at);
    }
    const [kind, text] = best;
    switch (kind) {
      case "num":
        push("num", text, text.length, numberValue(text, expression, at));
        break;
      case "hid6":
        if (parseIpv6(text) === undefined) {
          throw new FilterSyntaxError(`bogus IPv6 address ${text}`, expression, at);
        }
        push("hid6", text, text.length);
        break;
      case "bogusMac":
        throw new FilterSyntaxError(`bogus ethernet address ${text}`, expression, at);
      case "id": {
        const keyword = KEYWORDS.get(text);
        const named = NAMED_NUMBERS.get(text);
        if (keyword !== undefined) push("keyword", keyword, text.length);
        else if (named !== undefined) push("num", text, text.length, named);
        else push("id", text, text.length);
        break;
      }
      default:
        push(kind as TokenKind, text, text.length);
    }
  }
  tokens.push({ kind: "eof", text: "", value: 0, start: at, end: at });
  return tokens;
}

/**
 * The tokenizer of the tcpdump filter language, following libpcap's
 * scanner.l: longest match wins, keywords and named constants beat names of
 * the same length, and names may contain `-`, `_` and `.` (so `len-1` is one
 * name, as in tcpdump).
 *
 * Each token form has a scanner: a function that returns how many characters
 * of the form start at a position (0 = no match), with the form in its doc
 * (libpcap's names: B = 1 or 2 hex digits, N = `0x` hex digits or decimal
 * digits). They read char codes rather than run RegExps: V8 compiles each
 * RegExp on its first exec, which cost the first compile in a fresh process
 * about a millisecond.
 */
import { FilterSyntaxError } from "../errors.ts";
import { NAMED_NUMBERS } from "./named_numbers.ts";
import { KEYWORDS } from "./keywords.ts";
import {
  decimalDigits,
  hexDigits,
  isDigit,
  isHexDigit,
  isLetter,
  isLetterOrDigit,
  isOctalDigit,
  isRun,
  LOWER_CASE_BIT,
  LOWER_F,
  LOWER_X,
  ZERO,
} from "./chars.ts";

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

// Char codes.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const DOLLAR = 0x24;
const OPEN = 0x28;
const CLOSE = 0x29;
const DASH = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const UNDERSCORE = 0x5f;

/** `N`: `0x` (or `0X`) and hex digits, else decimal digits. */
function scanNumber(s: string, at: number): number {
  const hexPrefix = s.charCodeAt(at) === ZERO &&
    (s.charCodeAt(at + 1) | LOWER_CASE_BIT) === LOWER_X && isHexDigit(s.charCodeAt(at + 2));
  return hexPrefix ? 2 + hexDigits(s, at + 2, Infinity) : decimalDigits(s, at);
}

/** `B?B?B?B?B?B` with `?` = `separator`: six bytes of a MAC address. */
function scanSixBytes(s: string, at: number, separator: number): number {
  let p = at;
  for (let i = 0; i < 6; i++) {
    if (i > 0 && s.charCodeAt(p++) !== separator) return 0;
    const digits = hexDigits(s, p, 2);
    if (digits === 0) return 0;
    p += digits;
  }
  return p - at;
}

/** `xxxx.xxxx.xxxx`: three groups of exactly four hex digits. */
function scanThreeWords(s: string, at: number): number {
  let p = at;
  for (let i = 0; i < 3; i++) {
    if (i > 0 && s.charCodeAt(p++) !== DOT) return 0;
    if (hexDigits(s, p, 4) !== 4) return 0;
    p += 4;
  }
  return p - at;
}

/**
 * A MAC address: `B:B:B:B:B:B`, `B-B-B-B-B-B`, `B.B.B.B.B.B`,
 * `xxxx.xxxx.xxxx` or `xxxxxxxxxxxx` (x = a hex digit).
 */
function scanMac(s: string, at: number): number {
  return scanSixBytes(s, at, COLON) || scanSixBytes(s, at, DASH) || scanSixBytes(s, at, DOT) ||
    scanThreeWords(s, at) || (hexDigits(s, at, 12) === 12 ? 12 : 0);
}

/** A dotted IPv4 address or network: `N.N`, `N.N.N` or `N.N.N.N`, the longest there is. */
function scanDotted(s: string, at: number): number {
  let p = at + scanNumber(s, at);
  if (p === at) return 0;
  let parts = 1;
  while (parts < 4 && s.charCodeAt(p) === DOT) {
    const digits = scanNumber(s, p + 1);
    if (digits === 0) break;
    p += 1 + digits;
    parts++;
  }
  return parts > 1 ? p - at : 0;
}

/** `.D.D.D` (D = decimal digits): the end of an IPv6 address written with an IPv4 tail. */
function scanIpv4Tail(s: string, at: number): number {
  let p = at;
  for (let i = 0; i < 3; i++) {
    if (s.charCodeAt(p) !== DOT) return 0;
    const digits = decimalDigits(s, p + 1);
    if (digits === 0) return 0;
    p += 1 + digits;
  }
  return p - at;
}

/**
 * Candidate IPv6 text: `h` then 2 to 7 times `:h` (h = 0 to 4 hex digits),
 * optionally followed by `.D.D.D`. parseIpv6 tells whether it is an address
 * (libpcap lists every form).
 */
function scanIpv6Text(s: string, at: number): number {
  let p = at + hexDigits(s, at, 4);
  let groups = 0;
  while (groups < 7 && s.charCodeAt(p) === COLON) {
    p += 1 + hexDigits(s, p + 1, 4);
    groups++;
  }
  return groups < 2 ? 0 : p + scanIpv4Tail(s, p) - at;
}

/** How many `:` are in `text`. */
function countColons(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === COLON) n++;
  return n;
}

/**
 * An IPv6 address: candidate text (scanIpv6Text) with `::` or with all eight
 * groups; `1:2:3` and the like are left to the other forms.
 */
function scanIpv6(s: string, at: number): number {
  const length = scanIpv6Text(s, at);
  const text = s.slice(at, at + length);
  return text.includes("::") || countColons(text) === 7 ? length : 0;
}

/** Whether an IPv6 address with `::` starts at `at` (`::1`): it beats the `:` operator. */
function isIpv6WithDoubleColonAt(s: string, at: number): boolean {
  return s.slice(at, at + scanIpv6Text(s, at)).includes("::");
}

/**
 * A malformed MAC address, refused: `B:` at least twice, any `:` repeated
 * (`1:2:`, `a::b::`).
 */
function scanBogusMac(s: string, at: number): number {
  let p = at;
  let parts = 0;
  for (;;) {
    const digits = hexDigits(s, p, 2);
    if (digits === 0 || s.charCodeAt(p + digits) !== COLON) break;
    p += digits;
    while (s.charCodeAt(p) === COLON) p++;
    parts++;
  }
  return parts < 2 ? 0 : p - at;
}

/**
 * A name (keyword, named number, host, port, protocol): a letter or digit,
 * then letters, digits, `.`, `-` and `_`, not ending in `-` or `_`.
 */
function scanName(s: string, at: number): number {
  if (!isLetterOrDigit(s.charCodeAt(at))) return 0;
  let end = at + 1;
  for (let p = at + 1; p < s.length; p++) {
    const c = s.charCodeAt(p);
    if (isLetterOrDigit(c) || c === DOT) end = p + 1;
    else if (c !== DASH && c !== UNDERSCORE) break;
  }
  return end - at;
}

/** An ARCnet address: `$B`. */
function scanArcnet(s: string, at: number): number {
  if (s.charCodeAt(at) !== DOLLAR) return 0;
  const digits = hexDigits(s, at + 1, 2);
  return digits === 0 ? 0 : 1 + digits;
}

/**
 * An escaped name (`\ip`, never a keyword): `\` then one or more characters
 * other than space, tab, newline, `!`, `(` and `)`.
 */
function scanEscaped(s: string, at: number): number {
  if (s.charCodeAt(at) !== BACKSLASH) return 0;
  let p = at + 1;
  for (; p < s.length; p++) {
    const c = s.charCodeAt(p);
    if (c === SPACE || c === TAB || c === LF || c === BANG || c === OPEN || c === CLOSE) break;
  }
  return p === at + 1 ? 0 : p - at;
}

type WordKind = "eid" | "num" | "hid" | "hid6" | "bogusMac" | "id";

interface WordForm {
  readonly kind: WordKind;
  /** Length of the form at `at` (0 = no match). */
  readonly scan: (s: string, at: number) => number;
}

/**
 * The forms a word may take, in scanner.l's rule order: the longest match
 * wins and a tie goes to the earlier form. Keywords and named numbers are
 * names here, looked up afterwards.
 */
const WORD_FORMS: readonly WordForm[] = [
  { kind: "eid", scan: scanMac },
  { kind: "num", scan: scanNumber },
  { kind: "hid", scan: scanDotted },
  { kind: "hid6", scan: scanIpv6 },
  { kind: "bogusMac", scan: scanBogusMac },
  { kind: "id", scan: scanName },
];

/**
 * The forms of a word starting with a letter past `f`: only a name (the
 * others start with a hex digit or `:`).
 */
const NAME_ONLY: readonly WordForm[] = [{ kind: "id", scan: scanName }];

/** The 16 bytes of an IPv6 address in text form, or undefined if it is not one. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  let v4: number[] | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const parts = text.slice(lastColon + 1).split(".");
    if (parts.length !== 4) return undefined;
    v4 = parts.map((p) => (isRun(p, 3, isDigit) ? Number(p) : 256));
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
    if (!isRun(w, 4, isHexDigit)) return undefined;
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
  const leadingZero = text.charCodeAt(0) === ZERO;
  if (leadingZero && (text.charCodeAt(1) | LOWER_CASE_BIT) === LOWER_X) {
    value = parseInt(text.slice(2), 16);
  } else if (leadingZero && text.length > 1) {
    if (!isRun(text, Infinity, isOctalDigit)) {
      throw new FilterSyntaxError(`number ${text} contains non-octal digit`, expression, at);
    }
    value = parseInt(text, 8);
  } else value = Number(text);
  if (!(value <= 0xffffffff)) {
    throw new FilterSyntaxError(`number ${text} overflows 32 bits`, expression, at);
  }
  return value;
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
    const code = expression.charCodeAt(at);
    if (code === SPACE || code === TAB || code === LF || code === CR) {
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
    const c = expression[at] ?? "";
    // An IPv6 address may start with "::"; it is longer than the ':' operator.
    if (OPERATORS1.includes(c) && !(code === COLON && isIpv6WithDoubleColonAt(expression, at))) {
      if (c === "!") push("keyword", "not", 1);
      else push("op", c, 1);
      continue;
    }
    const escaped = scanEscaped(expression, at);
    if (escaped > 0) {
      push("id", expression.slice(at + 1, at + escaped), escaped);
      continue;
    }
    const arcnet = scanArcnet(expression, at);
    if (arcnet > 0) {
      push("aid", expression.slice(at, at + arcnet), arcnet);
      continue;
    }
    let kind: WordKind | undefined;
    let length = 0;
    const forms = isLetter(code) && (code | LOWER_CASE_BIT) > LOWER_F ? NAME_ONLY : WORD_FORMS;
    for (const form of forms) {
      const n = form.scan(expression, at);
      if (n > length) {
        kind = form.kind;
        length = n;
      }
    }
    if (kind === undefined) {
      throw new FilterSyntaxError(`unexpected character '${c}'`, expression, at);
    }
    const text = expression.slice(at, at + length);
    switch (kind) {
      case "num":
        push("num", text, length, numberValue(text, expression, at));
        break;
      case "hid6":
        if (parseIpv6(text) === undefined) {
          throw new FilterSyntaxError(`bogus IPv6 address ${text}`, expression, at);
        }
        push("hid6", text, length);
        break;
      case "bogusMac":
        throw new FilterSyntaxError(`bogus ethernet address ${text}`, expression, at);
      case "id": {
        const keyword = KEYWORDS.get(text);
        const named = NAMED_NUMBERS.get(text);
        if (keyword !== undefined) push("keyword", keyword, length);
        else if (named !== undefined) push("num", text, length, named);
        else push("id", text, length);
        break;
      }
      default:
        push(kind, text, length);
    }
  }
  tokens.push({ kind: "eof", text: "", value: 0, start: at, end: at });
  return tokens;
}

/**
 * ASCII character classes and runs of them, for the hand-written scanners
 * of the filter language (the lexer, and the parsers of the addresses and
 * port ranges it hands on): no RegExps, which V8 compiles on their first use,
 * a large part of a process's first filter compile.
 */
export const ZERO = 0x30;
const SEVEN = 0x37;
const NINE = 0x39;
const LOWER_A = 0x61;
export const LOWER_F = 0x66;
export const LOWER_X = 0x78;
const LOWER_Z = 0x7a;
/** Or-ed into an ASCII letter's code, gives the lower-case letter's. */
export const LOWER_CASE_BIT = 0x20;

// Character classes. Past the end of the text charCodeAt gives NaN, which is in none.
export const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
export const isOctalDigit = (c: number): boolean => c >= ZERO && c <= SEVEN;
export const isLetter = (c: number): boolean =>
  (c | LOWER_CASE_BIT) >= LOWER_A && (c | LOWER_CASE_BIT) <= LOWER_Z;
export const isHexDigit = (c: number): boolean =>
  isDigit(c) || ((c | LOWER_CASE_BIT) >= LOWER_A && (c | LOWER_CASE_BIT) <= LOWER_F);
export const isLetterOrDigit = (c: number): boolean => isDigit(c) || isLetter(c);

/** How many hex digits (at most `max`) start at `at`. */
export function hexDigits(s: string, at: number, max: number): number {
  let n = 0;
  while (n < max && isHexDigit(s.charCodeAt(at + n))) n++;
  return n;
}

/** How many decimal digits start at `at`. */
export function decimalDigits(s: string, at: number): number {
  let n = 0;
  while (isDigit(s.charCodeAt(at + n))) n++;
  return n;
}

/** Whether `text` has 1 to `max` characters, all accepted by `accept`. */
export function isRun(text: string, max: number, accept: (c: number) => boolean): boolean {
  if (text.length === 0 || text.length > max) return false;
  for (let i = 0; i < text.length; i++) if (!accept(text.charCodeAt(i))) return false;
  return true;
}

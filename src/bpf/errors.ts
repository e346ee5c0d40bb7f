/**
 * Why a filter expression could not be compiled. Each error carries
 * `exitCode = 2` (bad input) and a message that starts with what could not be
 * done; syntax errors also quote the filter with a caret under the fault.
 */

const EXIT_BAD_INPUT = 2;

/** The two lines that show `expression` with a caret under `offset`. */
export function caretLines(expression: string, offset: number): string {
  const flat = expression.replaceAll("\r", " ").replaceAll("\n", " ").replaceAll("\t", " ");
  const at = Math.max(0, Math.min(offset, flat.length));
  return `  ${flat}\n  ${" ".repeat(at)}^`;
}

/** The expression does not follow the grammar (or has a malformed token). */
export class FilterSyntaxError extends SyntaxError {
  override name = "FilterSyntaxError";
  readonly exitCode = EXIT_BAD_INPUT;
  /** What went wrong, without the quoted filter. */
  readonly reason: string;
  constructor(reason: string, readonly expression: string, readonly offset: number) {
    super(
      `Cannot compile filter: ${reason} at offset ${offset}\n${caretLines(expression, offset)}`,
    );
    this.reason = reason;
  }
}

/** A number in the expression is outside what its primitive allows (`port 65536`, `vlan 4096`). */
export class FilterRangeError extends RangeError {
  override name = "FilterRangeError";
  readonly exitCode = EXIT_BAD_INPUT;
  constructor(reason: string) {
    super(`Cannot compile filter: ${reason}`);
  }
}

/**
 * The expression parses but means nothing tcpdump would accept: a qualifier
 * that does not apply (`ip6 host 1.2.3.4`, `tcp proto 6`), a host name (not
 * resolved on the data path), an unsupported link type.
 */
export class FilterSemanticError extends Error {
  override name = "FilterSemanticError";
  readonly exitCode = EXIT_BAD_INPUT;
  constructor(reason: string) {
    super(`Cannot compile filter: ${reason}`);
  }
}

/**
 * libpcap's optimiser reduces the filter to `ret #0`, so tcpdump refuses it
 * ("expression rejects all packets"); fmagent refuses the same filters
 * (program/rejects_all/). Only when optimising, as tcpdump without `-O`.
 */
export class FilterRejectsAllError extends FilterSemanticError {
  override name = "FilterRejectsAllError";
  constructor() {
    super("expression rejects all packets");
  }
}

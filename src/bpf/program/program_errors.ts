/**
 * Errors for classic BPF programs: a program that breaks the validation rules
 * (named by instruction index), and program text that cannot be read (named by
 * line). Both are bad input: exit status 2.
 */

/** A program libpcap's validator would refuse; `index` is the offending instruction, if any. */
export class InvalidProgramError extends RangeError {
  override name = "InvalidProgramError";
  readonly exitCode = 2;
  constructor(message: string, readonly index?: number) {
    super(message);
  }
}

/** Program text (`-ddd` or `-dd` format) that cannot be parsed; `line` is 1-based. */
export class ProgramTextError extends SyntaxError {
  override name = "ProgramTextError";
  readonly exitCode = 2;
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

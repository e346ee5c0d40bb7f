import { EXIT_FAILURE, EXIT_USAGE } from "./io.ts";

/**
 * A failure whose message is already fit for the user. `exitCode` says whether
 * the input or the invocation was bad (2) or the run itself failed (1).
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(message: string, readonly exitCode: number = EXIT_USAGE, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Bad flags, arguments or input data: exit status 2. */
export function usageError(message: string): UserError {
  return new UserError(message, EXIT_USAGE);
}

/** The run could not complete (I/O, a stalled peer, ...): exit status 1. */
export function runtimeError(message: string, cause?: unknown): UserError {
  return new UserError(message, EXIT_FAILURE, cause === undefined ? undefined : { cause });
}

/** The exit status a thrown value maps to: typed errors carry theirs, anything else is a runtime failure. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UserError) return error.exitCode;
  if (typeof error === "object" && error !== null && "exitCode" in error) {
    const code = (error as { exitCode: unknown }).exitCode;
    if (typeof code === "number") return code;
  }
  if (error instanceof SyntaxError || error instanceof RangeError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** The message for a thrown value, never a stack trace. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

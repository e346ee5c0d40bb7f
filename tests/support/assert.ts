/**
 * The assertions fmagent's tests use, on Node's built-in assert (JSR's
 * @std/assert is out of reach; `@types/node` gives node:assert its types).
 */
import { AssertionError, deepStrictEqual, match, ok, rejects } from "node:assert/strict";

export { AssertionError };

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  ok(condition, message);
}

export function assertEquals(actual: unknown, expected: unknown, message?: string): void {
  deepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  match(actual, pattern, message);
}

/** Byte equality that names the first differing offset instead of dumping both arrays. */
export function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, message = ""): void {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      throw new AssertionError({ message: `${message}: bytes differ at offset ${i}` });
    }
  }
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${message}: length ${actual.length}, expected ${expected.length}`,
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `fn` must reject with a message matching `pattern`. */
export async function assertRejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await rejects(fn, (error: unknown) => {
    match(messageOf(error), pattern);
    return true;
  });
}

/**
 * `fn` must throw: an error whose message matches a RegExp, or an instance of
 * an error class whose message includes `includes`. Returns what was thrown.
 */
export function assertThrows(fn: () => unknown, pattern: RegExp): Error;
export function assertThrows<E extends Error>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
  includes?: string,
): E;
export function assertThrows(
  fn: () => unknown,
  expected: RegExp | (abstract new (...args: never[]) => Error),
  includes = "",
): Error {
  try {
    fn();
  } catch (error) {
    if (expected instanceof RegExp) {
      match(messageOf(error), expected);
    } else {
      ok(error instanceof expected, `expected ${expected.name}, got ${messageOf(error)}`);
      ok(
        messageOf(error).includes(includes),
        `expected a message with "${includes}", got "${messageOf(error)}"`,
      );
    }
    return error as Error;
  }
  throw new AssertionError({ message: "expected the function to throw" });
}

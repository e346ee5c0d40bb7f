/** Assertions for the ring tests, from Node's built-in assert (JSR's @std/assert is unreachable). */
import { deepStrictEqual, match, ok, rejects, throws } from "node:assert/strict";

export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  deepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  match(actual, pattern, message);
}

export function assert(condition: unknown, message?: string): asserts condition {
  ok(condition, message);
}

export async function assertRejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await rejects(fn, (error: unknown) => {
    match(error instanceof Error ? error.message : String(error), pattern);
    return true;
  });
}

export function assertThrows(fn: () => unknown, pattern: RegExp): void {
  throws(fn, (error: unknown) => {
    match(error instanceof Error ? error.message : String(error), pattern);
    return true;
  });
}

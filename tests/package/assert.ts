/** The few assertions the packaging tests need (no @std/assert: JSR is unreachable). */

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertEquals<T>(actual: T, expected: T, message = ""): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${message ? `${message}: ` : ""}expected ${e}, got ${a}`);
}

export function assertMatch(actual: string, pattern: RegExp, message = ""): void {
  if (!pattern.test(actual)) {
    throw new AssertionError(
      `${message ? `${message}: ` : ""}${JSON.stringify(actual)} does not match ${pattern}`,
    );
  }
}

export function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, message = ""): void {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      throw new AssertionError(`${message}: bytes differ at offset ${i}`);
    }
  }
  if (actual.length !== expected.length) {
    throw new AssertionError(`${message}: length ${actual.length}, expected ${expected.length}`);
  }
}

/**
 * Minimal assertions for the BPF program tests (JSR's @std/assert is out of
 * reach and node:assert needs @types/node).
 */

export class AssertionError extends Error {
  override name = "AssertionError";
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  try {
    return JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? [...v] : v));
  } catch {
    return String(value);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return false;
    return deepEqual([...(a as Uint8Array)], [...(b as Uint8Array)]);
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

export function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`,
    );
  }
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Runs `fn`, which must throw an instance of `type` whose message includes `includes`. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
  includes = "",
): E {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof type)) {
      throw new AssertionError(`expected ${type.name}, got ${String(error)}`);
    }
    if (!error.message.includes(includes)) {
      throw new AssertionError(
        `expected a message with ${show(includes)}, got ${show(error.message)}`,
      );
    }
    return error;
  }
  throw new AssertionError(`expected ${type.name} to be thrown`);
}

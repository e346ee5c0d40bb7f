import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  divU64,
  epochNsHigh,
  epochNsLow,
  formatEpoch,
  nanosOfEpochNs,
  secondsOfEpochNs,
} from "./timestamp.ts";

const CASES: [number, number][] = [
  [0, 0],
  [1, 1],
  [1_700_000_000, 123_456_789],
  [4_294_967_295, 999_999_999],
  [12_345_678_901, 5],
  [65_535, 999_999_999],
  [65_536, 0],
];

Deno.test("epoch ns halves equal BigInt arithmetic", () => {
  for (const [sec, nsec] of CASES) {
    const expected = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
    const lo = epochNsLow(sec, nsec);
    const hi = epochNsHigh(sec, nsec);
    assertEquals((BigInt(hi) << 32n) | BigInt(lo), expected, `${sec}.${nsec}`);
    assertEquals(secondsOfEpochNs(lo, hi), sec);
    assertEquals(nanosOfEpochNs(lo, hi), nsec);
  }
});

Deno.test("divU64 matches BigInt division for random values", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  const rem = new Float64Array(1);
  for (let i = 0; i < 2000; i++) {
    const lo = next();
    const hi = next();
    const divisor = (next() % 0x7fffffff) + 1;
    const value = (BigInt(hi) << 32n) | BigInt(lo);
    assertEquals(divU64(lo, hi, divisor, rem), Number(value / BigInt(divisor)));
    assertEquals(rem[0], Number(value % BigInt(divisor)));
  }
});

Deno.test("formatEpoch pads the fraction", () => {
  assertEquals(formatEpoch(12, 5), "12.000000005");
  assertEquals(formatEpoch(12, 5_000, 6), "12.000005");
});

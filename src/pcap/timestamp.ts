/**
 * Exact conversion between (seconds, nanoseconds) and a u64 count of epoch
 * nanoseconds split into two u32 halves, without BigInt: the ring stores
 * u64 ns, and 2^53 ns is only ~104 days, so doubles alone would round.
 */

const NS_PER_S = 1e9;
const TWO_16 = 65536;
const TWO_32 = 4294967296;

/** Low 32 bits of sec * 1e9 + nsec (sec < 2^34). */
export function epochNsLow(sec: number, nsec: number): number {
  const secLo = sec % TWO_16;
  const secHi = (sec - secLo) / TWO_16;
  const a = secLo * NS_PER_S + nsec; // < 2^47, exact
  const b = secHi * NS_PER_S; // < 2^48, exact; contributes b * 2^16
  return ((b % TWO_16) * TWO_16 + (a % TWO_32)) % TWO_32;
}

/** High 32 bits of sec * 1e9 + nsec (sec < 2^34). */
export function epochNsHigh(sec: number, nsec: number): number {
  const secLo = sec % TWO_16;
  const secHi = (sec - secLo) / TWO_16;
  const a = secLo * NS_PER_S + nsec;
  const b = secHi * NS_PER_S;
  const bLow = b % TWO_16;
  const aLow = a % TWO_32;
  const carry = Math.floor((bLow * TWO_16 + aLow) / TWO_32);
  return (b - bLow) / TWO_16 + (a - aLow) / TWO_32 + carry;
}

/**
 * Divides the u64 (hi * 2^32 + lo) by `divisor` (< 2^31) by long division in
 * 16-bit digits; returns the quotient and leaves the remainder in `remainderOut[0]`.
 */
export function divU64(
  lo: number,
  hi: number,
  divisor: number,
  remainderOut: Float64Array,
): number {
  let q = 0;
  let r = 0;
  for (let shift = 3; shift >= 0; shift--) {
    const word = shift >= 2 ? hi : lo;
    const digit = shift % 2 === 1 ? word >>> 16 : word & 0xffff;
    const cur = r * TWO_16 + digit; // < 2^47, exact
    const qd = Math.floor(cur / divisor);
    r = cur - qd * divisor;
    q = q * TWO_16 + qd;
  }
  remainderOut[0] = r;
  return q;
}

const scratch = new Float64Array(1);

/** Whole seconds of the epoch-ns u64 (hi * 2^32 + lo). */
export function secondsOfEpochNs(lo: number, hi: number): number {
  return divU64(lo, hi, NS_PER_S, scratch);
}

/** Nanoseconds within the second of the epoch-ns u64 (hi * 2^32 + lo). */
export function nanosOfEpochNs(lo: number, hi: number): number {
  divU64(lo, hi, NS_PER_S, scratch);
  return scratch[0] ?? 0;
}

/** "SSSSSSSSSS.NNNNNNNNN", as tcpdump -tt --nano prints a timestamp. */
export function formatEpoch(sec: number, nsec: number, digits: 6 | 9 = 9): string {
  const frac = digits === 9 ? nsec : Math.floor(nsec / 1000);
  return `${sec}.${String(frac).padStart(digits, "0")}`;
}

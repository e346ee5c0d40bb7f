/** Parsers for the ring commands' option values (throw RangeError: exit status 2). */
import type { EpochTime } from "./producer.ts";

/** Where FMADIO puts the first container ring, as fmadio2pcap's examples spell it. */
export const DEFAULT_RING_PATH = "/opt/fmadio/queue/lxc_ring0";

/** An epoch time in ns ("1700000000123456789"), exact: beyond 2^53, so split without rounding. */
export function parseEpochNs(text: string): EpochTime {
  if (!/^\d{1,20}$/.test(text)) throw new RangeError(`expected epoch nanoseconds, got '${text}'`);
  const ns = BigInt(text);
  if (ns >= 1n << 64n) throw new RangeError(`epoch nanoseconds out of range: ${text}`);
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

/** A file mode in octal ("0666", "644"). */
export function parseFileMode(text: string): number {
  if (!/^0?[0-7]{3,4}$/.test(text)) {
    throw new RangeError(`expected an octal file mode like 0666, got '${text}'`);
  }
  return parseInt(text, 8);
}

/** A duration in ns, with a float form accepted ("30e9"). */
export function parseNanoseconds(text: string): number {
  const value = Number(text);
  if (!/^[0-9.e+]+$/i.test(text) || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`expected nanoseconds (e.g. 30e9), got '${text}'`);
  }
  return value;
}

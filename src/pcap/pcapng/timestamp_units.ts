/**
 * pcapng packet timestamps are a u64 count of interface units (10^n or 2^n
 * per second). These turn (hi, lo) into exact seconds and nanoseconds,
 * BigInt only for resolutions finer than 2^31 units per second.
 */
import type { PacketBatch } from "../packet_batch.ts";
import { divU64 } from "../timestamp.ts";
import type { InterfaceDescription } from "./interface_description.ts";

const TWO_32 = 4294967296;
const remainder = new Float64Array(1);

/** Stores the timestamp (hi, lo) of `iface` as packet `i` of `batch`. */
export function setPacketTime(
  batch: PacketBatch,
  i: number,
  hi: number,
  lo: number,
  iface: InterfaceDescription,
): void {
  const ups = iface.unitsPerSecond;
  let sec: number;
  let rest: number;
  if (ups === 1e6 && hi < 0x200000) {
    // The common case: microseconds, and the count fits a double exactly.
    const units = hi * TWO_32 + lo;
    sec = Math.floor(units / 1e6);
    rest = units - sec * 1e6;
  } else if (ups <= 0x80000000) {
    sec = divU64(lo, hi, ups, remainder);
    rest = remainder[0] ?? 0;
  } else {
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    const bigUps = BigInt(ups);
    sec = Number(units / bigUps);
    batch.sec[i] = sec + iface.offsetSeconds;
    batch.nsec[i] = Number(((units % bigUps) * 1_000_000_000n) / bigUps);
    return;
  }
  batch.sec[i] = sec + iface.offsetSeconds;
  batch.nsec[i] = fractionToNanos(rest, ups);
}

/** floor(rest * 1e9 / ups) exactly, for ups ≤ 2^31 a power of 10 or of 2. */
function fractionToNanos(rest: number, ups: number): number {
  if (1e9 % ups === 0) return rest * (1e9 / ups);
  // rest * 1953125 < 2^52 is exact, and * 512 / ups only rescales by powers of two.
  return Math.floor((rest * 1953125 * 512) / ups);
}

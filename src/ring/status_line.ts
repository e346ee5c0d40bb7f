/** Formatting for the once-a-second status lines and summaries (allocates; never per packet). */
import { formatEpoch, nanosOfEpochNs, secondsOfEpochNs } from "../pcap/timestamp.ts";

/** "2026-11-29T17:00:00.123456789Z" for an epoch time; "-" for 0 (no packet yet). */
export function formatIsoTime(sec: number, nsec: number): string {
  if (sec === 0 && nsec === 0) return "-";
  const iso = new Date(sec * 1000).toISOString(); // ...T17:00:00.000Z
  return `${iso.slice(0, 19)}.${String(nsec).padStart(9, "0")}Z`;
}

/** The same, for a u64 epoch-ns split in halves (as stored in the ring). */
export function formatIsoTimeNs(low: number, high: number): string {
  return formatIsoTime(secondsOfEpochNs(low, high), nanosOfEpochNs(low, high));
}

/** "1700000000.123456789" (tcpdump -tt --nano) for a u64 epoch-ns split in halves. */
export function formatEpochNs(low: number, high: number): string {
  return formatEpoch(secondsOfEpochNs(low, high), nanosOfEpochNs(low, high));
}

/** Packets per second as "1.234 Mpps". */
export function formatMpps(packets: number, seconds: number): string {
  return `${(seconds > 0 ? packets / seconds / 1e6 : 0).toFixed(3)} Mpps`;
}

/** Bytes per second as "1.234 Gbps" (bits on the wire, payload only). */
export function formatGbps(bytes: number, seconds: number): string {
  return `${(seconds > 0 ? (bytes * 8) / seconds / 1e9 : 0).toFixed(3)} Gbps`;
}

/** Bytes as "123.4 MB". */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Time of day "HH:MM:SS" (UTC) for status line prefixes. */
export function clockNow(): string {
  return new Date().toISOString().slice(11, 19);
}

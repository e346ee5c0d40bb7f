/**
 * A snapshot of a ring's header and counters (fmadio2stat's view), read
 * through a read-only mapping so it works while both sides run.
 */
import type { RingMemory } from "../../ffi/ring_memory.ts";
import { ringMemory as defaultRingMemory } from "../../ffi/ring_memory.deno.ts";
import { readCounters, type RingCounters, type RingHeader } from "./layout.ts";
import { Ring } from "./ring.ts";
import { formatIsoTimeNs } from "./status_line.ts";

export interface RingSnapshot {
  readonly header: RingHeader;
  readonly counters: RingCounters;
  /** performance.now() when taken, for rates. */
  readonly at: number;
}

/** Opens `path` read-only for repeated snapshots; close() it when done. */
export function openRingForStat(path: string, memory: RingMemory = defaultRingMemory): Ring {
  return Ring.open(path, { writable: false }, memory);
}

export function takeSnapshot(ring: Ring): RingSnapshot {
  return { header: ring.header(), counters: readCounters(ring.view), at: performance.now() };
}

const TWO_32 = 4294967296;

/** Epoch ns as a decimal string, exact (the u64 halves through BigInt: not a hot path). */
function epochNsText(low: number, high: number): string {
  return (BigInt(high) * BigInt(TWO_32) + BigInt(low)).toString();
}

/** PutPktTS - GetPktTS in ms (consumer lag in capture time), 0 when either is unset. */
export function lagMs(c: RingCounters): number {
  if (
    (c.getPktTsLow === 0 && c.getPktTsHigh === 0) || (c.putPktTsLow === 0 && c.putPktTsHigh === 0)
  ) {
    return 0;
  }
  const put = c.putPktTsHigh * TWO_32 + c.putPktTsLow;
  const get = c.getPktTsHigh * TWO_32 + c.getPktTsLow;
  return (put - get) / 1e6;
}

/** The snapshot as a JSON-ready record (counters as numbers, timestamps as exact ns strings). */
export function snapshotRecord(path: string, s: RingSnapshot): Record<string, unknown> {
  const { header: h, counters: c } = s;
  return {
    ring: path,
    path: h.path,
    version: h.version,
    depth: h.depth,
    flowControl: h.isTxFlowControl,
    txTimeoutNs: h.txTimeoutNs,
    pendingBytes: h.pendingBytes,
    put: c.put,
    get: c.get,
    packetsInFlight: c.put - c.get,
    putByte: c.putByte,
    getByte: c.getByte,
    bytesInFlight: c.putByte - c.getByte,
    putPktTS: epochNsText(c.putPktTsLow, c.putPktTsHigh),
    getPktTS: epochNsText(c.getPktTsLow, c.getPktTsHigh),
  };
}

/** The snapshot as aligned "name : value" lines. */
export function formatSnapshot(path: string, s: RingSnapshot): string {
  const { header: h, counters: c } = s;
  const rows: [string, string][] = [
    ["Ring", path],
    ["Path", h.path || "-"],
    ["Version", `0x${h.version.toString(16)}`],
    ["Depth", `${h.depth} slots`],
    ["FlowControl", h.isTxFlowControl ? "on" : "off"],
    ["TxTimeout", `${h.txTimeoutNs / 1e9} s`],
    ["Put", `${c.put}`],
    ["Get", `${c.get}`],
    ["InFlight", `${c.put - c.get} packets, ${c.putByte - c.getByte} bytes`],
    ["PutByte", `${c.putByte}`],
    ["GetByte", `${c.getByte}`],
    [
      "PutPktTS",
      `${epochNsText(c.putPktTsLow, c.putPktTsHigh)} (${
        formatIsoTimeNs(c.putPktTsLow, c.putPktTsHigh)
      })`,
    ],
    [
      "GetPktTS",
      `${epochNsText(c.getPktTsLow, c.getPktTsHigh)} (${
        formatIsoTimeNs(c.getPktTsLow, c.getPktTsHigh)
      })`,
    ],
    ["PendingB", `${h.pendingBytes} bytes (${(h.pendingBytes / 1e9).toFixed(2)} GB)`],
  ];
  return rows.map(([name, value]) => `${name.padEnd(12)}: ${value}`).join("\n") + "\n";
}

/** One --watch line: counters with rates since `previous`, and the consumer lag. */
export function formatWatchLine(previous: RingSnapshot, s: RingSnapshot): string {
  const seconds = (s.at - previous.at) / 1000;
  const c = s.counters;
  const p = previous.counters;
  const rate = (now: number, before: number) => (seconds > 0 ? (now - before) / seconds : 0);
  const putPps = rate(c.put, p.put);
  const getPps = rate(c.get, p.get);
  const getGbps = (rate(c.getByte, p.getByte) * 8) / 1e9;
  return `Put ${c.put} (${(putPps / 1e6).toFixed(3)} Mpps) Get ${c.get} (${
    (getPps / 1e6).toFixed(3)
  } Mpps, ` +
    `${getGbps.toFixed(3)} Gbps) | lag ${c.put - c.get} pkts ${lagMs(c).toFixed(3)} ms` +
    ` | pending ${(s.header.pendingBytes / 1e6).toFixed(1)} MB`;
}

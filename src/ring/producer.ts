/**
 * The producer (the stream_cat / pcap2fmadio role): capture files in, ring
 * slots out, lossless under flow control. The per-packet path (`fillSlots`,
 * synchronous) writes the slot header as 32-bit words, payloads up to 128
 * bytes as words too (the slot's payload is word-aligned) and longer ones with
 * one typed-array `set`; Put is published every 32 packets, at the end of
 * each input batch and before every wait, never per packet.
 */
import type { PacketMatcher } from "../bpf/program/interpret.ts";
import type { RingMemory } from "../../ffi/ring_memory.ts";
import { ringMemory as defaultRingMemory } from "../../ffi/ring_memory.deno.ts";
import { pinToCpu } from "./pin.ts";
import { type CaptureReader, READ_SLACK } from "../pcap/capture_reader.ts";
import type { PacketBatch } from "../pcap/packet_batch.ts";
import { LINKTYPE_ETHERNET } from "../pcap/link_type.ts";
import { epochNsHigh, epochNsLow } from "../pcap/timestamp.ts";
import { viewOf, WORD_COPY_MAX } from "./copy_bytes.ts";
import { type Backoff, newBackoff, pause, resetBackoff, waitedMs } from "./backoff.ts";
import {
  endOfStreamSlot,
  LENGTH_CAPTURE_SHIFT,
  LENGTH_WIRE_MAX,
  SLOT,
  SLOT_PAYLOAD_MAX,
  SLOT_SIZE,
  SLOT_WORD,
  SLOT_WORDS,
  SLOTS_OFFSET,
  SLOTS_WORD,
  writeSlotFields,
} from "./layout.ts";
import { type ProducerOpenOptions, type ProducerOpenReport, Ring } from "./ring.ts";
import { RingError } from "./ring_error.ts";
import {
  clockNow,
  formatGbps,
  formatIsoTimeNs,
  formatMegabytes,
  formatMpps,
} from "./status_line.ts";

/** The filter type of the BPF programs, re-exported for the ring API. */
export type { PacketMatcher };

/** One input of the producer, opened when its turn comes. */
export interface CaptureSource {
  /** Name for messages ("stdin" or the path). */
  readonly name: string;
  /** Size in bytes when known, for PendingB and the status line. */
  readonly size?: number;
  /**
   * Opens the input. `buffer`, when given, is the refill buffer for its
   * CaptureReader (CaptureReaderOptions.buffer): the scratch next to the ring,
   * from which packets reach their slots without an allocation.
   */
  open(buffer?: Uint8Array): Promise<{ reader: CaptureReader; close(): void }>;
}

/** An epoch time in ns as (seconds, nanoseconds), exact without BigInt. */
export interface EpochTime {
  readonly sec: number;
  readonly nsec: number;
}

export interface ProduceOptions extends ProducerOpenOptions {
  /** Give up when the consumer takes nothing for this long, in ns (default 30e9; 0 waits forever). */
  readonly timeoutNs?: number;
  /** Stop after this many packets written. */
  readonly count?: number;
  /** Keep at most this many bytes of each packet. */
  readonly pktslice?: number;
  /** Skip packets before this time. */
  readonly epochStart?: EpochTime;
  /** Skip packets at or after this time. */
  readonly epochStop?: EpochTime;
  /** Write only packets this accepts (cut to the length it returns). */
  readonly filter?: PacketMatcher;
  /** Send the end-of-stream slot at the end (default true; --no-eof). */
  readonly endOfStream?: boolean;
  /** Read no input; send only the end-of-stream slot (--eof-only). */
  readonly eofOnly?: boolean;
  /** Stops reading; what was read is published and the end of stream sent. */
  readonly signal?: AbortSignal;
  /** Busy-poll when the ring is full instead of sleeping. */
  readonly noSleep?: boolean;
  /** Pin to this CPU. */
  readonly cpu?: number;
  /** Receives one status line a second (stream_cat style); enables the status. */
  readonly onStatus?: (line: string) => void | Promise<void>;
  /** Interval of the status line and of PendingB updates, in ms (default 1000). */
  readonly statusIntervalMs?: number;
  readonly memory?: RingMemory;
}

export interface ProduceSummary {
  /** Packets written into the ring by this session (end-of-stream slot not counted). */
  packets: number;
  /** Captured bytes written. */
  bytes: number;
  /** Packets cut to 10,240 bytes (LengthWire kept). */
  truncated: number;
  /** Packets whose wire length exceeded 65,535 and was stored as 65,535. */
  wireClamped: number;
  /** Packets skipped by the filter or the epoch window. */
  skipped: number;
  /** Packets with no captured bytes, not sent (an empty slot is no packet to a consumer). */
  empty: number;
  /** The end-of-stream slot was sent. */
  endOfStream: boolean;
  /** Stopped early by the signal. */
  interrupted: boolean;
  /** What the producer found when it opened the ring. */
  open: ProducerOpenReport;
}

const TS_WORD = SLOT_WORD.ts;
const LENGTHS_WORD = SLOT_WORD.lengths;
const PORT_FLAG_WORD = SLOT_WORD.portFlag;
const STORAGE_ID_WORD = SLOT_WORD.storageId;
const PAYLOAD = SLOT.payload.offset;
const PAYLOAD_WORD = PAYLOAD / 4;
const DEFAULT_TIMEOUT_NS = 30e9;
const TWO_32 = 4294967296;
/** Publish Put every 32 packets (and at every batch end and wait). */
const PUBLISH_MASK = 31;

/** Producer state shared by the loop and its helpers (one per run). */
interface ProducerState {
  readonly ring: Ring;
  readonly backoff: Backoff;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  /** Next slot counter to write (unmasked). */
  put: number;
  /** Last Get seen. */
  get: number;
  putByte: number;
  tsLow: number;
  tsHigh: number;
  /** Put when this session began. */
  readonly startPut: number;
  /** Where the producer is, for the timeout message: packets of the current source handled. */
  sourceName: string;
  packetInSource: number;
  /** Input bytes of the current source consumed so far, and of all sources still to read. */
  position: number;
  remainingSize: number;
  nextTick: number;
  readonly statusIntervalMs: number;
  /** Writes a status line for (input position, pending bytes); undefined without -v. */
  status: ((position: number, pending: number) => void | Promise<void>) | undefined;
}

/**
 * Writes the packets of `sources`, in order, into the ring at `ringPath`,
 * creating or initialising the ring as needed (see Ring.openForProducer),
 * then the end-of-stream slot. Waits for the consumer when the ring is full;
 * throws RingError (exit 1) when it stalls longer than `timeoutNs`, saying how
 * far it got. Packets that are not Ethernet are refused (RingError, exit 2).
 */
export async function produceToRing(
  ringPath: string,
  sources: readonly CaptureSource[],
  options: ProduceOptions = {},
): Promise<ProduceSummary> {
  const memory = options.memory ?? defaultRingMemory;
  if (options.cpu !== undefined) pinToCpu(memory, options.cpu);
  const timeoutNs = options.timeoutNs ?? DEFAULT_TIMEOUT_NS;
  const { ring, report } = Ring.openForProducer(ringPath, {
    ...options,
    // C producers read TxTimeout from the header and give up at once when it is 0.
    txTimeoutNs: timeoutNs > 0 ? timeoutNs : Number.MAX_SAFE_INTEGER,
  }, memory);
  try {
    const put = ring.loadPut();
    const state: ProducerState = {
      ring,
      backoff: newBackoff(() => memory.yieldCpu(), options.noSleep === true),
      timeoutMs: timeoutNs / 1e6,
      signal: options.signal,
      put,
      get: ring.loadGet(),
      // -0, a double: see the cursor in consumer.ts (no deoptimisation at the first
      // value above 2^30).
      putByte: -0,
      tsLow: -0,
      tsHigh: -0,
      startPut: put,
      sourceName: sources[0]?.name ?? "",
      packetInSource: 0,
      position: 0,
      remainingSize: 0,
      nextTick: performance.now() + (options.statusIntervalMs ?? 1000),
      statusIntervalMs: options.statusIntervalMs ?? 1000,
      status: undefined,
    };
    state.putByte = ring.putByte();
    const onStatus = options.onStatus;
    if (onStatus !== undefined) {
      const line = newStatus(state, sources);
      state.status = (position, pending) => onStatus(line(position, pending));
    }
    const summary: ProduceSummary = {
      packets: 0,
      bytes: 0,
      truncated: 0,
      wireClamped: 0,
      skipped: 0,
      empty: 0,
      endOfStream: false,
      interrupted: false,
      open: report,
    };
    if (options.eofOnly !== true) await copySources(state, sources, options, summary);
    summary.interrupted = options.signal?.aborted === true;
    if (options.endOfStream !== false) summary.endOfStream = await sendEndOfStream(state);
    ring.setPendingBytes(0);
    return summary;
  } finally {
    ring.close();
  }
}

/**
 * Where the synchronous slot filler stands; it loads these fields into
 * locals on entry and stores them back on return, so its loop runs on
 * registers (an async function would keep its locals on the heap).
 */
interface FillCursor {
  /** Index in the batch of the next packet to handle. */
  next: number;
  /** The batch's packet at `next` is not Ethernet (the filler stopped there). */
  notEthernet: boolean;
  baseSec: number;
  baseLow: number;
  baseHigh: number;
}

/** What the filler needs that stays fixed for a run. */
interface FillConfig {
  readonly ring: Ring;
  readonly limit: number;
  readonly slice: number;
  readonly filter: PacketMatcher | undefined;
  readonly startSec: number;
  readonly startNsec: number;
  readonly stopSec: number;
  readonly stopNsec: number;
}

async function copySources(
  state: ProducerState,
  sources: readonly CaptureSource[],
  options: ProduceOptions,
  summary: ProduceSummary,
): Promise<void> {
  const start = options.epochStart;
  const stop = options.epochStop;
  const config: FillConfig = {
    ring: state.ring,
    limit: options.count ?? Infinity,
    slice: Math.min(options.pktslice ?? SLOT_PAYLOAD_MAX, SLOT_PAYLOAD_MAX),
    filter: options.filter,
    startSec: start?.sec ?? -1,
    startNsec: start?.nsec ?? 0,
    stopSec: stop?.sec ?? Infinity,
    stopNsec: stop?.nsec ?? 0,
  };
  const cursor: FillCursor = {
    next: 0,
    notEthernet: false,
    // Doubles from the start, as in ProducerState: a capture's seconds come from a
    // Float64Array (a field first holding a small integer would change representation).
    baseSec: NaN, // no second yet: unequal to every packet's
    baseLow: -0,
    baseHigh: -0,
  };
  const signal = options.signal;
  const full = state.ring.depth - 1;
  state.remainingSize = sources.reduce((n, s) => n + (s.size ?? 0), 0);

  for (const source of sources) {
    if (summary.packets >= config.limit || signal?.aborted) break;
    const scratch = state.ring.scratch;
    const opened = await source.open(scratch.length > 0 ? scratch : undefined);
    state.sourceName = source.name;
    state.packetInSource = 0;
    try {
      const reader = opened.reader;
      if (reader.linkType !== LINKTYPE_ETHERNET) throw notEthernet(source.name, reader.linkType, 0);
      batches: for (;;) {
        if (summary.packets >= config.limit || signal?.aborted) break;
        const batch = await reader.next();
        if (batch === null) break;
        cursor.next = 0;
        for (;;) {
          const before = cursor.next;
          fillSlots(state, summary, cursor, config, batch);
          state.packetInSource += cursor.next - before;
          publish(state);
          if (cursor.notEthernet) {
            throw notEthernet(source.name, batch.linkType[cursor.next]!, state.packetInSource + 1);
          }
          if (cursor.next >= batch.count || summary.packets >= config.limit) break;
          // The ring is full: wait for the consumer, then go on with this batch.
          if (state.put - state.get >= full && !await waitForRoom(state)) break batches;
        }
        state.position = reader.position;
        if (performance.now() >= state.nextTick) await tick(state);
      }
      if (reader.truncation !== undefined) {
        // The records before the cut were delivered; the cut one cannot be.
        options.onNotice?.(`warning: ${source.name}: ${reader.truncation}`);
      }
    } finally {
      opened.close();
    }
    state.remainingSize -= source.size ?? 0;
    state.position = 0;
  }
}

/**
 * Packets per fillSlots call. A call that loops over a whole batch (8192
 * packets) gets its loop optimised mid-call (on-stack replacement) before the
 * code after the loop ever ran; V8 then deoptimised that code at every loop
 * exit, about 50 times per 2M packets, each time running the loop slowly for
 * a while. Called often with short runs, the function is optimised whole.
 */
const FILL_CHUNK = 256;

/**
 * Writes packets of `batch` from `cursor.next` into free slots until the
 * batch is done, the ring is full, the count limit is reached or a packet is
 * not Ethernet; publishes Put every 32 packets so the consumer works while we
 * fill. Synchronous and allocation-free: the hot loop of the producer.
 */
function fillSlots(
  state: ProducerState,
  summary: ProduceSummary,
  cursor: FillCursor,
  config: FillConfig,
  batch: PacketBatch,
): void {
  const ring = config.ring;
  const words = ring.words;
  const ringBytes = ring.bytes;
  const mask = ring.mask;
  const full = ring.depth - 1;
  const { filter, slice, limit, startSec, startNsec, stopSec, stopNsec } = config;
  const bytes = batch.bytes;
  const sourceView = viewOf(bytes);
  const sourceLength = bytes.length;
  // The batch's bytes in the ring's ArrayBuffer (the reader fills the ring's
  // scratch): long packets then move with the span's copyWithin, no subarray.
  const span = ring.span;
  const inSpan = bytes.buffer === span.buffer;
  const spanBase = bytes.byteOffset - span.byteOffset;
  const { offset: offsets, caplen: caplens, wirelen: wirelens, sec: secs, nsec: nsecs } = batch;
  const linkTypes = batch.linkType;
  // At most FILL_CHUNK packets a call (the caller calls again): see FILL_CHUNK.
  const n = Math.min(batch.count, cursor.next + FILL_CHUNK);
  let { baseSec, baseLow, baseHigh } = cursor;
  let put = state.put;
  let putByte = state.putByte;
  let tsLow = state.tsLow;
  let tsHigh = state.tsHigh;
  let packets = summary.packets;
  let byteCount = summary.bytes;
  let i = cursor.next;
  cursor.notEthernet = false;
  // Free slots, from a fresh Get: the loop stops when they are used up and the
  // caller waits for more (reloading Get inside the loop was a path V8 first met
  // after optimising the loop, and deoptimised on).
  const get = ring.loadGet();
  const last = get + full;
  for (; i < n; i++) {
    if (linkTypes[i] !== LINKTYPE_ETHERNET) {
      cursor.notEthernet = true;
      break;
    }
    const sec = secs[i]!;
    const nsec = nsecs[i]!;
    if (
      sec < startSec || (sec === startSec && nsec < startNsec) ||
      sec > stopSec || (sec === stopSec && nsec >= stopNsec)
    ) {
      summary.skipped++;
      continue;
    }
    const offset = offsets[i]!;
    let caplen = caplens[i]!;
    let wirelen = wirelens[i]!;
    if (filter !== undefined) {
      const keep = filter(bytes, offset, caplen, wirelen);
      if (keep === 0) {
        summary.skipped++;
        continue;
      }
      if (keep < caplen) caplen = keep;
    }
    if (caplen === 0) {
      // An empty slot means "no packet" to consumers (fmadio2pcap too): count, don't send.
      summary.empty++;
      continue;
    }
    if (put >= last) break; // full: the caller waits and calls again from here
    if (caplen > slice) {
      if (caplen > SLOT_PAYLOAD_MAX && slice === SLOT_PAYLOAD_MAX) summary.truncated++;
      caplen = slice;
    }
    if (wirelen > LENGTH_WIRE_MAX) {
      wirelen = LENGTH_WIRE_MAX;
      summary.wireClamped++;
    }
    const index = put & mask;
    const slot = SLOTS_OFFSET + index * SLOT_SIZE;
    const word = SLOTS_WORD + index * SLOT_WORDS;
    if (sec !== baseSec) {
      baseSec = sec;
      baseLow = epochNsLow(sec, 0);
      baseHigh = epochNsHigh(sec, 0);
    }
    // The carry into the high half, computed on every packet: a branch taken
    // only every 4.3 s of capture time would first run after V8 optimised
    // this loop and cost a deoptimisation and a recompile.
    const carry = baseLow + nsec >= TWO_32 ? 1 : 0;
    tsLow = baseLow + nsec - carry * TWO_32;
    tsHigh = baseHigh + carry;
    words[word + TS_WORD] = tsLow;
    words[word + TS_WORD + 1] = tsHigh;
    words[word + LENGTHS_WORD] = wirelen | (caplen << LENGTH_CAPTURE_SHIFT);
    words[word + PORT_FLAG_WORD] = 0; // port 0, no flags, zero padding
    words[word + STORAGE_ID_WORD] = 0;
    words[word + STORAGE_ID_WORD + 1] = 0;
    if (caplen > WORD_COPY_MAX) {
      if (inSpan) span.copyWithin(slot + PAYLOAD, spanBase + offset, spanBase + offset + caplen);
      else ringBytes.set(bytes.subarray(offset, offset + caplen), slot + PAYLOAD);
    } else if (offset + caplen + READ_SLACK - 1 <= sourceLength) {
      // Whole 16-byte blocks, the last one reading up to 15 bytes past the
      // packet (still inside the source buffer: CaptureReader leaves READ_SLACK
      // bytes after its data, so this holds for every packet it hands out) and
      // writing past it into the slot's unused tail, which consumers never read
      // (they take LengthCapture bytes, and slots hold stale bytes of earlier
      // laps there anyway). No 1-3 byte tail loop: ~20% less producer time per
      // small packet than copying exactly.
      let w = word + PAYLOAD_WORD;
      for (let k = offset, end = offset + caplen; k < end; k += 16, w += 4) {
        words[w] = sourceView.getInt32(k, true);
        words[w + 1] = sourceView.getInt32(k + 4, true);
        words[w + 2] = sourceView.getInt32(k + 8, true);
        words[w + 3] = sourceView.getInt32(k + 12, true);
      }
    } else {
      // The payload starts word-aligned in the slot: store whole words through
      // the ring's Uint32Array (cheaper than DataView stores), reading the
      // unaligned source through its DataView; then the last 0-3 bytes.
      const wordsEnd = offset + (caplen & ~3);
      const blocksEnd = offset + (caplen & ~15);
      let w = word + PAYLOAD_WORD;
      let k = offset;
      for (; k < blocksEnd; k += 16, w += 4) {
        words[w] = sourceView.getInt32(k, true);
        words[w + 1] = sourceView.getInt32(k + 4, true);
        words[w + 2] = sourceView.getInt32(k + 8, true);
        words[w + 3] = sourceView.getInt32(k + 12, true);
      }
      for (; k < wordsEnd; k += 4) words[w++] = sourceView.getInt32(k, true);
      for (let to = w << 2, end = offset + caplen; k < end; k++, to++) ringBytes[to] = bytes[k]!;
    }
    putByte += caplen;
    byteCount += caplen;
    put++;
    if ((put & PUBLISH_MASK) === 0) ring.publishPut(put, putByte, tsLow, tsHigh);
    if (++packets >= limit) {
      i++;
      break;
    }
  }
  cursor.next = i;
  cursor.baseSec = baseSec;
  cursor.baseLow = baseLow;
  cursor.baseHigh = baseHigh;
  state.put = put;
  state.get = get;
  state.putByte = putByte;
  state.tsLow = tsLow;
  state.tsHigh = tsHigh;
  summary.packets = packets;
  summary.bytes = byteCount;
}

/** Once a second: PendingB, and the status line if asked for. */
async function tick(state: ProducerState): Promise<void> {
  state.nextTick = performance.now() + state.statusIntervalMs;
  const pending = Math.max(0, state.remainingSize - state.position);
  state.ring.setPendingBytes(pending);
  if (state.status !== undefined) await state.status(state.position, pending);
}

/** Publishes Put (after the payloads) and the byte and timestamp counters. */
function publish(state: ProducerState): void {
  state.ring.publishPut(state.put, state.putByte, state.tsLow, state.tsHigh);
}

/**
 * Waits until the ring has a free slot (true), or the signal aborts (false);
 * throws when the consumer stalls past the timeout.
 */
async function waitForRoom(state: ProducerState): Promise<boolean> {
  const full = state.ring.depth - 1;
  const backoff = state.backoff;
  state.get = state.ring.loadGet();
  while (state.put - state.get >= full) {
    if (state.signal?.aborted) return false;
    if (performance.now() >= state.nextTick) await tick(state);
    if (state.timeoutMs > 0 && waitedMs(backoff) > state.timeoutMs) throw stalled(state);
    await pause(backoff);
    state.get = state.ring.loadGet();
  }
  resetBackoff(backoff);
  return true;
}

/** Sends the end-of-stream slot; false when interrupted while the ring was full. */
async function sendEndOfStream(state: ProducerState): Promise<boolean> {
  state.get = state.ring.loadGet();
  if (state.put - state.get >= state.ring.depth - 1 && !await waitForRoom(state)) return false;
  const slot = endOfStreamSlot(state.tsLow, state.tsHigh);
  writeSlotFields(state.ring.view, state.ring.slotStart(state.put), slot);
  state.put++;
  publish(state);
  return true;
}

function stalled(state: ProducerState): RingError {
  const seconds = state.timeoutMs / 1000;
  const delivered = state.put - state.startPut;
  return new RingError(
    `Cannot write to ring ${state.ring.path}: the consumer took no packet for ${seconds} s ` +
      `(--timeout); ${delivered} packets were delivered, stopped before packet ` +
      `${state.packetInSource + 1} of ${state.sourceName}`,
    1,
  );
}

function notEthernet(name: string, linkType: number, packet: number): RingError {
  const where = packet === 0 ? "" : ` (packet ${packet})`;
  return new RingError(
    `Cannot produce ${name} into the ring: link type ${linkType}${where}, ` +
      `the FMAD ring carries Ethernet (link type 1) only`,
    2,
  );
}

/** A status line maker: input offset, last packet time, pending MB, rates, consumer lag. */
function newStatus(state: ProducerState, sources: readonly CaptureSource[]) {
  let lastTime = performance.now();
  let lastPut = state.put;
  let lastByte = state.putByte;
  const many = sources.length > 1;
  return (position: number, pending: number): string => {
    const now = performance.now();
    const seconds = (now - lastTime) / 1000;
    const packets = state.put - lastPut;
    const bytes = state.putByte - lastByte;
    lastTime = now;
    lastPut = state.put;
    lastByte = state.putByte;
    const lag = state.put - state.ring.loadGet();
    const where = many ? `${state.sourceName} @ ` : "";
    return `[${clockNow()}] produce: in ${where}${formatMegabytes(position)}` +
      ` | last ${formatIsoTimeNs(state.tsLow, state.tsHigh)}` +
      ` | pending ${formatMegabytes(Math.max(0, pending))}` +
      ` | ${formatGbps(bytes, seconds)} ${formatMpps(packets, seconds)}` +
      ` | consumer lag ${lag} pkts`;
  };
}

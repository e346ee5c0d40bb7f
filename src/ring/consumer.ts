/**
 * The consumer (the fmadio2pcap role): ring slots in, packets out through a
 * sink, lossless across restarts. Packets are handed to the sink as a
 * PacketBatch whose bytes are the ring's own memory (no copy here); Get is
 * published only after the sink has flushed them to the OS, so a consumer
 * that dies leaves every undelivered packet in the ring.
 *
 * A ring without flow control (IsTxFlowControl = 0: pcap2fmadio's) is the
 * exception: its producer does not wait for Get, so the slots are copied
 * into a staging ring of the consumer's own and checked before the sink
 * sees them (staged_slots.ts). A packet that cannot be delivered intact is
 * never output: it is counted as lost.
 */
import type { RingMemory } from "../../ffi/ring_memory.ts";
import { ringMemory as defaultRingMemory } from "../../ffi/ring_memory.deno.ts";
import { pinToCpu } from "./pin.ts";
import { LINKTYPE_ETHERNET } from "../pcap/link_type.ts";
import { newPacketBatch, type PacketBatch } from "../pcap/packet_batch.ts";
import { divU64 } from "../pcap/timestamp.ts";
import {
  type Backoff,
  exercisePause,
  newBackoff,
  pause,
  resetBackoff,
  waitedMs,
} from "./backoff.ts";
import {
  endOfStreamSlot,
  FLAG_EOF,
  FLAG_FCS_ERROR,
  FLAG_SHIFT,
  GET_PAGE,
  LENGTH_CAPTURE_SHIFT,
  SLOT,
  SLOT_PAYLOAD_ROOM,
  SLOT_SIZE,
  SLOT_WORD,
  SLOT_WORDS,
  SLOTS_OFFSET,
  SLOTS_WORD,
  writeSlotFields,
} from "./layout.ts";
import type { PacketMatcher } from "./producer.ts";
import { Ring } from "./ring.ts";
import { openScratchRing } from "./scratch_ring.ts";
import { hasFlowControl, overwrittenPrefix, setFlowControl, stageSlots } from "./staged_slots.ts";
import { clockNow, formatGbps, formatIsoTimeNs, formatMpps } from "./status_line.ts";

/**
 * Where consumed packets go. `write` gets packets [0, batch.count) of a batch
 * whose `bytes` is the ring's mapped memory (or, for a ring without flow
 * control, the consumer's staging copy of it): those bytes stay valid only
 * until the sink's next `flush()` resolves (the consumer then frees the
 * slots), so a sink copies what it keeps, as PcapWriter.append does.
 */
export interface RingPacketSink {
  write(batch: PacketBatch): void | Promise<void>;
  /** Hands everything written so far to the OS; the consumer frees slots only after it. */
  flush(): Promise<void>;
}

export interface ConsumeOptions {
  /** Skip the packets already queued and start at Put (fmadio2pcap's behaviour). */
  readonly latest?: boolean;
  /** Stop after this many packets delivered. */
  readonly count?: number;
  /** Flush and free after every packet (-U). */
  readonly flushEachPacket?: boolean;
  /** Deliver only packets this accepts (cut to the length it returns); the rest are consumed. */
  readonly filter?: PacketMatcher;
  /** Stops consuming: what was delivered is flushed and freed, the summary returned. */
  readonly signal?: AbortSignal;
  readonly noSleep?: boolean;
  readonly cpu?: number;
  /** Receives one status line a second. */
  readonly onStatus?: (line: string) => void | Promise<void>;
  /** Interval of the status line in ms (default 1000). */
  readonly statusIntervalMs?: number;
  /** Receives warnings (a producer that overran the ring), one line each. */
  readonly onNotice?: (message: string) => void;
  readonly memory?: RingMemory;
  /**
   * A sink of the same kind as the real one that discards what it gets: when
   * the ring is empty at start, the consumer first runs this many packets of a
   * scratch ring through it (see warmUp), so V8 compiles the hot path before
   * the first real packet rather than while packets flow.
   */
  readonly warmUp?: { readonly sink: RingPacketSink; readonly packets: number };
}

export interface ConsumeSummary {
  /** Packets handed to the sink. */
  packets: number;
  /** Captured bytes handed to the sink. */
  bytes: number;
  /** Delivered packets flagged with an FCS error. */
  fcsErrors: number;
  /** Packets consumed but not delivered (filter). */
  skipped: number;
  /** Packets skipped at start by `latest`. */
  skippedAtStart: number;
  /**
   * Packets a producer without flow control overwrote before we could read
   * them intact (lapped, or overwritten while we copied them): never output.
   */
  lost: number;
  /**
   * Slots whose LengthCapture claimed more than the SLOT_PAYLOAD_ROOM (12,264)
   * bytes a slot has: taken with those bytes only.
   */
  oversized: number;
  /** Stepped over an earlier session's end-of-stream mark at the start. */
  staleEndOfStream: boolean;
  /** Ended on the end-of-stream slot. */
  endOfStream: boolean;
  /** Ended by the signal. */
  interrupted: boolean;
}

const TS_WORD = SLOT_WORD.ts;
const LENGTHS_WORD = SLOT_WORD.lengths;
const PORT_FLAG_WORD = SLOT_WORD.portFlag;
const PAYLOAD = SLOT.payload.offset;
const TWO_32 = 4294967296;
/** Flush and free what we hold once the ring has been idle this long (ms); well under 10 ms. */
const FLUSH_WHEN_IDLE_MS = 0.05;
/** At most one "overran the ring" warning this often (ms): a lapping producer overruns per batch. */
const LOST_NOTICE_MS = 1000;

/**
 * Reads packets from the ring at `ringPath` into `sink` until the
 * end-of-stream slot (consumed), `count` packets, or the signal. Starts at
 * the ring's Get (packets queued before it started are delivered) unless
 * `latest`. Errors of the sink (a closed pipe) propagate after nothing more
 * was freed than was flushed.
 */
export async function consumeFromRing(
  ringPath: string,
  sink: RingPacketSink,
  options: ConsumeOptions = {},
): Promise<ConsumeSummary> {
  const memory = options.memory ?? defaultRingMemory;
  if (options.cpu !== undefined) pinToCpu(memory, options.cpu);
  const ring = Ring.open(ringPath, { writable: true }, memory);
  try {
    // One waiting state for the warm-up and the real loop: the same function
    // behind its yield, so code compiled during the warm-up stays valid.
    const feed: WarmUpFeed = { refill: undefined };
    const backoff = newBackoff(() => {
      memory.yieldCpu();
      feed.refill?.();
    }, options.noSleep === true);
    const warm = options.warmUp;
    if (warm !== undefined && ring.loadPut() === ring.loadGet()) {
      await warmUp(ring, warm.sink, warm.packets, options, backoff, feed);
      resetBackoff(backoff);
    }
    return await consumeLoop(ring, sink, options, backoff);
  } finally {
    ring.close();
  }
}

/**
 * Where the synchronous slot reader stands; it loads these fields into
 * locals on entry and stores them back on return, so its loop runs on
 * registers (an async function would keep its locals on the heap).
 */
interface TakeCursor {
  /** Slots consumed (unmasked counter of the next slot to read). */
  get: number;
  getByte: number;
  /** Epoch ns of the last slot read, as u64 halves. */
  tsLow: number;
  tsHigh: number;
  /** Epoch ns (u64 halves) of second `baseSec`: most packets fall in the same second, no division. */
  baseSec: number;
  baseLow: number;
  baseHigh: number;
  /** The last call stopped on the end-of-stream slot (consumed). */
  endOfStream: boolean;
  /** The last call stepped over an earlier session's end-of-stream mark. */
  staleEndOfStream: boolean;
  /** Counter of the first slot this session read: an end-of-stream mark there may be stale. */
  readonly startGet: number;
}

/**
 * Runs about `packets` synthetic packets (60-123 bytes, ~1 ms apart) through
 * consumeLoop from a scratch ring in memory into `sink`, with the real
 * options and waiting state: the same call sites see the same kinds of
 * objects as in the real run, so what V8 compiles now is not thrown away
 * (deoptimised) at the first real packet. The ring is refilled from the
 * loop's own idle path (`feed`, called when it yields), so that path is
 * compiled too, and each round ends with an end-of-stream slot. Otherwise V8
 * compiles the hot loops while the first packets flow, on its background
 * threads: ~70 ms of CPU in a 0.2 s burst, taken from the producer on a
 * 2-core host. Ends early when packets arrive in the real ring.
 */
async function warmUp(
  real: Ring,
  sink: RingPacketSink,
  packets: number,
  options: ConsumeOptions,
  backoff: Backoff,
  feed: WarmUpFeed,
): Promise<void> {
  const deadline = performance.now() + WARM_UP_MAX_MS;
  await exercisePause();
  // The loop calls `feed` only while it yields; if this process is held off the
  // CPU past the yielding phase, the loop sleeps on timers instead, and this
  // timer refills (or, past the deadline, ends) the round then.
  const watchdog = setInterval(() => feed.refill?.(), WARM_UP_WATCHDOG_MS);
  try {
    // Two short rounds first: the end-of-stream path runs before V8 optimises the
    // loop, so the end of the long round does not deoptimise it, and every object
    // literal of the loop has been made more than once (V8 recompiles code whose
    // literal sites had run only once). Each round has its own scratch ring, so
    // the sinks' change of source memory is seen more than once too (as in the
    // real run, whose ring is another one again).
    for (const round of [WARM_UP_FIRST_ROUND, WARM_UP_FIRST_ROUND, packets]) {
      const ring = openScratchRing();
      try {
        // The real ring's flow-control setting, so the warm-up compiles the path the run takes.
        setFlowControl(ring, hasFlowControl(real));
        const feeder: WarmUpFeeder = {
          ring,
          real,
          packets: round,
          deadline,
          put: ring.loadPut(),
          fed: 0,
          refills: 0,
          ended: false,
        };
        feed.refill = () => refillWarmUp(feeder);
        refillWarmUp(feeder);
        await consumeLoop(ring, sink, options, backoff);
      } finally {
        ring.close();
      }
      if (real.loadPut() !== real.loadGet()) break;
    }
  } finally {
    clearInterval(watchdog);
    feed.refill = undefined;
  }
}

/** Called by the consumer's wait between its yields; set only during the warm-up. */
interface WarmUpFeed {
  refill: (() => void) | undefined;
}

const WARM_UP_FIRST_ROUND = 16;
const WARM_UP_WATCHDOG_MS = 5;

/**
 * The longest warm-up (ms): on a loaded host it ends early rather than late
 * (a status line of the real run must not show warm-up packets; its first is
 * due after a second).
 */
const WARM_UP_MAX_MS = 500;

const SMALL_REFILL_MAX = 64;
const LARGE_REFILL_EVERY = 16;

/** Every this many refills, one waits until the consumer has flushed everything as idle. */
const IDLE_REFILL_EVERY = 8;

/** One round of the warm-up's synthetic producer. */
interface WarmUpFeeder {
  readonly ring: Ring;
  /** The ring the consumer is for: the warm-up ends as soon as packets arrive there. */
  readonly real: Ring;
  readonly packets: number;
  /** performance.now() after which the round ends, however many packets went through. */
  readonly deadline: number;
  put: number;
  fed: number;
  refills: number;
  /** The end-of-stream slot was published. */
  ended: boolean;
}

/**
 * Publishes a varying number of packets into the free slots (every
 * IDLE_REFILL_EVERY-th time only once the consumer has freed them all), or,
 * once the round is over, the end-of-stream slot.
 */
function refillWarmUp(feeder: WarmUpFeeder): void {
  if (feeder.ended) return;
  const ring = feeder.ring;
  const words = ring.words;
  const full = ring.depth - 1;
  let put = feeder.put;
  const room = full - (put - ring.loadGet());
  if (room === 0) return;
  const over = feeder.fed >= feeder.packets || performance.now() > feeder.deadline ||
    feeder.real.loadPut() !== feeder.real.loadGet();
  if (over) {
    writeSlotFields(ring.view, ring.slotStart(put), endOfStreamSlot(0, 0));
    feeder.put = put + 1;
    feeder.ended = true;
    ring.publishPut(put + 1, 0, 0, 0);
    return;
  }
  if (feeder.refills % IDLE_REFILL_EVERY === IDLE_REFILL_EVERY - 1 && room !== full) return;
  // Mostly a few packets, as a producer publishes them while the consumer keeps up
  // (its loop then turns once per few packets, and V8 must see it that hot);
  // every LARGE_REFILL_EVERY-th time up to a ring's worth (the half-ring frees).
  const most = feeder.refills % LARGE_REFILL_EVERY === 0 ? full : SMALL_REFILL_MAX;
  const count = Math.min(room, 1 + ((feeder.refills * 389) % most));
  for (let k = 0; k < count; k++, put++) {
    const w = SLOTS_WORD + (put & ring.mask) * SLOT_WORDS;
    const ns = 0x8000_0000 + put * 997_003;
    words[w + TS_WORD] = ns % TWO_32;
    words[w + TS_WORD + 1] = 0x1800_0000 + Math.floor(ns / TWO_32);
    words[w + LENGTHS_WORD] = (64 + (put & 63)) | ((60 + (put & 63)) << LENGTH_CAPTURE_SHIFT);
    words[w + PORT_FLAG_WORD] = 0;
  }
  feeder.put = put;
  feeder.fed += count;
  feeder.refills++;
  ring.publishPut(put, 0, 0, 0);
}

async function consumeLoop(
  ring: Ring,
  sink: RingPacketSink,
  options: ConsumeOptions,
  backoff: Backoff,
): Promise<ConsumeSummary> {
  const view = ring.view;
  const depth = ring.depth;
  const signal = options.signal;
  const filter = options.filter;
  const limit = options.count ?? Infinity;
  // Take and free up to half a ring at a time: big writes, and a producer
  // that still has the other half to fill meanwhile.
  const capacity = options.flushEachPacket === true ? 1 : Math.max(1, depth >> 1);
  const publishEvery = capacity;
  const batch = newPacketBatch(capacity, ring.bytes);
  batch.linkType.fill(LINKTYPE_ETHERNET);
  const summary: ConsumeSummary = {
    packets: 0,
    bytes: 0,
    fcsErrors: 0,
    skipped: 0,
    skippedAtStart: 0,
    lost: 0,
    oversized: 0,
    staleEndOfStream: false,
    endOfStream: false,
    interrupted: false,
  };

  let get = ring.loadGet();
  const tsLow = view.getUint32(GET_PAGE.getPktTs.offset, true);
  const tsHigh = view.getUint32(GET_PAGE.getPktTs.offset + 4, true);
  if (options.latest === true) {
    const put = ring.loadPut();
    if (put > get) {
      summary.skippedAtStart = put - get;
      get = put;
      ring.publishGet(get, ring.getByte(), tsLow, tsHigh);
    }
  }
  // The numeric fields start as -0, a double: V8 then stores them as doubles from
  // the start, instead of as small integers that the first value above 2^30 (a
  // timestamp's low half, a byte count) would force to change, deoptimising the loop.
  const cursor: TakeCursor = {
    get: -0,
    getByte: -0,
    tsLow: -0,
    tsHigh: -0,
    baseSec: -0,
    baseLow: -0,
    baseHigh: -0,
    endOfStream: false,
    staleEndOfStream: false,
    startGet: get,
  };
  cursor.get = get;
  cursor.getByte = ring.getByte();
  cursor.tsLow = tsLow;
  cursor.tsHigh = tsHigh;
  let published = get;
  // For a ring without flow control: where the slots are copied before the sink
  // sees them (made on first need), and whether the batch points there now.
  let staging: Ring | undefined;
  let staged = false;
  const lostNotice: LostNotice = { pending: 0, lastAt: -Infinity };
  const status = options.onStatus === undefined ? undefined : newStatus(ring, summary);
  const interval = options.statusIntervalMs ?? 1000;
  let nextTick = status === undefined ? Infinity : performance.now() + interval;

  for (;;) {
    if (signal?.aborted) {
      summary.interrupted = true;
      break;
    }
    if (status !== undefined && performance.now() >= nextTick) {
      nextTick = performance.now() + interval;
      await options.onStatus!(status(cursor.get));
    }
    let available = ring.loadPut() - cursor.get;
    if (available >= depth) {
      // A producer without flow control lapped us: the oldest slots were
      // overwritten. Skip to half a ring behind Put, and say how many were lost.
      const skip = available - (depth >> 1);
      cursor.get += skip;
      noteLost(skip, summary, lostNotice, options);
      available -= skip;
    }
    if (available <= 0) {
      // Caught up. A busy producer publishes again within microseconds, so
      // keep batching while spinning; once the ring has been idle longer than
      // that, deliver what we hold (prompt output for live use), then wait.
      if (cursor.get !== published && waitedMs(backoff) >= FLUSH_WHEN_IDLE_MS) {
        published = await free(ring, sink, cursor);
      }
      await pause(backoff);
      continue;
    }
    resetBackoff(backoff);
    const want = Math.min(capacity, limit - summary.packets);
    // Checked every batch (one word): a ring can be re-created with the other setting.
    if (hasFlowControl(ring) === staged) {
      // Switching: what the sink holds goes out first, while its bytes are still valid.
      if (cursor.get !== published) published = await free(ring, sink, cursor);
      staged = !staged;
      if (staged) staging ??= openScratchRing();
      batch.bytes = staged ? staging!.bytes : ring.bytes;
    }
    if (!staged) {
      takeSlots(ring, cursor, batch, available, want, filter, summary);
    } else {
      // At least two slots: takeSlots steps over a stale end-of-stream mark only
      // with a packet behind it (with -U the capacity is 1).
      const take = Math.min(available, capacity < 2 ? 2 : capacity);
      // The staging slots of packets the sink still holds must not be reused: they
      // are safe while fewer than a staging ring's worth of packets are unfreed,
      // which the half-ring frees keep, except after a skip over lapped packets.
      if (cursor.get + take - published > staging!.depth) {
        published = await free(ring, sink, cursor);
      }
      stageSlots(ring, staging!, cursor.get, take);
      const torn = overwrittenPrefix(ring, cursor.get, take);
      if (torn > 0) {
        cursor.get += torn;
        noteLost(torn, summary, lostNotice, options);
      }
      takeSlots(staging!, cursor, batch, take - torn, want, filter, summary);
    }
    if (cursor.staleEndOfStream) {
      cursor.staleEndOfStream = false;
      summary.staleEndOfStream = true;
      options.onNotice?.("skipped an end-of-stream mark left in the ring by an earlier session");
    }
    const n = batch.count;
    if (n > 0) await sink.write(batch);
    summary.packets += n;
    const eof = cursor.endOfStream;
    const done = eof || summary.packets >= limit;
    if (done || cursor.get - published >= publishEvery) published = await free(ring, sink, cursor);
    if (eof) summary.endOfStream = true;
    if (done) break;
  }
  if (cursor.get !== published) published = await free(ring, sink, cursor);
  else await sink.flush();
  if (lostNotice.pending > 0) announceLost(lostNotice, options, performance.now());
  return summary;
}

/** Lost packets not yet announced, and when the last warning went out. */
interface LostNotice {
  pending: number;
  lastAt: number;
}

/**
 * Counts `count` packets as lost and warns about them: the first overrun at
 * once, later ones gathered into at most one warning per LOST_NOTICE_MS (the
 * rest when the loop ends).
 */
function noteLost(
  count: number,
  summary: ConsumeSummary,
  notice: LostNotice,
  options: ConsumeOptions,
): void {
  summary.lost += count;
  notice.pending += count;
  const now = performance.now();
  if (now - notice.lastAt >= LOST_NOTICE_MS) announceLost(notice, options, now);
}

function announceLost(notice: LostNotice, options: ConsumeOptions, now: number): void {
  options.onNotice?.(
    `warning: the producer overran the ring (no flow control?): ${notice.pending} packets lost`,
  );
  notice.pending = 0;
  notice.lastAt = now;
}

const remainder = new Float64Array(1);

/**
 * Reads up to `available` published slots from `cursor.get` into `batch`
 * (views into the ring, no copy), stopping after `want` delivered packets or
 * on the end-of-stream slot (consumed; sets `cursor.endOfStream`).
 * Synchronous and allocation-free: the hot loop of the consumer.
 */
function takeSlots(
  ring: Ring,
  cursor: TakeCursor,
  batch: PacketBatch,
  available: number,
  want: number,
  filter: PacketMatcher | undefined,
  summary: ConsumeSummary,
): void {
  const words = ring.words;
  const mask = ring.mask;
  const { offset, caplen, wirelen, sec, nsec } = batch;
  let { get, getByte, tsLow, tsHigh, baseSec, baseLow, baseHigh } = cursor;
  const end = get + available;
  let n = 0;
  let bytes = 0;
  let fcsErrors = 0;
  let oversized = 0;
  while (get < end && n < want) {
    const index = get & mask;
    const word = SLOTS_WORD + index * SLOT_WORDS;
    get++;
    tsLow = words[word + TS_WORD]!;
    tsHigh = words[word + TS_WORD + 1]!;
    const flag = (words[word + PORT_FLAG_WORD]! >>> FLAG_SHIFT) & 0xff;
    if ((flag & FLAG_EOF) !== 0) {
      if (get === cursor.startGet + 1 && get < end) {
        // The very first slot we see is an end of stream with packets queued
        // behind it: an earlier session's mark (fmadio2pcap stops on it
        // without consuming it). Step over it instead of ending at once.
        cursor.staleEndOfStream = true;
        continue;
      }
      cursor.endOfStream = true;
      break;
    }
    const lengths = words[word + LENGTHS_WORD]!;
    let length = lengths >>> LENGTH_CAPTURE_SHIFT;
    // A slot claiming more than a slot holds is cut to what is there.
    if (length > SLOT_PAYLOAD_ROOM) {
      length = SLOT_PAYLOAD_ROOM;
      oversized++;
    }
    getByte += length;
    if (length === 0) continue; // an empty slot (a cleared end-of-stream mark)
    const wire = lengths & 0xffff;
    const payload = SLOTS_OFFSET + index * SLOT_SIZE + PAYLOAD;
    if (filter !== undefined) {
      const keep = filter(ring.bytes, payload, length, wire);
      if (keep === 0) {
        summary.skipped++;
        continue;
      }
      if (keep < length) length = keep;
    }
    offset[n] = payload;
    caplen[n] = length;
    wirelen[n] = wire;
    // Same second as the last packet (the common case): no division.
    const delta = (tsHigh - baseHigh) * TWO_32 + (tsLow - baseLow);
    if (delta >= 0 && delta < 1e9) {
      sec[n] = baseSec;
      nsec[n] = delta;
    } else {
      baseSec = divU64(tsLow, tsHigh, 1e9, remainder);
      const ns = remainder[0]!;
      sec[n] = baseSec;
      nsec[n] = ns;
      baseLow = tsLow - ns;
      baseHigh = tsHigh;
      if (baseLow < 0) {
        baseLow += TWO_32;
        baseHigh--;
      }
    }
    if ((flag & FLAG_FCS_ERROR) !== 0) fcsErrors++;
    bytes += length;
    n++;
  }
  batch.count = n;
  cursor.get = get;
  cursor.getByte = getByte;
  cursor.tsLow = tsLow;
  cursor.tsHigh = tsHigh;
  cursor.baseSec = baseSec;
  cursor.baseLow = baseLow;
  cursor.baseHigh = baseHigh;
  summary.bytes += bytes;
  summary.fcsErrors += fcsErrors;
  summary.oversized += oversized;
}

/**
 * Hands what the sink holds to the OS, then frees the slots up to `cursor.get`.
 */
async function free(ring: Ring, sink: RingPacketSink, cursor: TakeCursor): Promise<number> {
  await sink.flush();
  ring.publishGet(cursor.get, cursor.getByte, cursor.tsLow, cursor.tsHigh);
  return cursor.get;
}

/** A status line maker: packets, rates, consumer lag in packets and time, last packet time. */
function newStatus(ring: Ring, summary: ConsumeSummary) {
  let lastTime = performance.now();
  let lastPackets = 0;
  let lastBytes = 0;
  return (get: number): string => {
    const now = performance.now();
    const seconds = (now - lastTime) / 1000;
    const packets = summary.packets - lastPackets;
    const bytes = summary.bytes - lastBytes;
    lastTime = now;
    lastPackets = summary.packets;
    lastBytes = summary.bytes;
    const counters = ring.view;
    const lag = ring.loadPut() - get;
    const low = counters.getUint32(GET_PAGE.getPktTs.offset, true);
    const high = counters.getUint32(GET_PAGE.getPktTs.offset + 4, true);
    return `[${clockNow()}] consume: ${summary.packets} pkts` +
      ` | ${formatGbps(bytes, seconds)} ${formatMpps(packets, seconds)}` +
      ` | lag ${lag} pkts | last ${formatIsoTimeNs(low, high)}`;
  };
}

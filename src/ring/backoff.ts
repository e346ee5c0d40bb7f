/**
 * Waiting for the other side of the ring: spin briefly, looking at the ring
 * every 10 µs (a busy peer answers within microseconds, and sleeping would
 * cost a timer wake-up of ~30 µs on these VMs), then yield the CPU, then sleep 1 ms at a time, and after
 * 200 ms idle in steps growing to 16 ms (32 ms after 2 s), so an idle side
 * stays under 2% of a core even on a loaded machine. `noSleep` keeps busy-polling
 * (lowest latency, one full core) but still turns the event loop so signals
 * are seen.
 */

export interface Backoff {
  /** performance.now() when the current wait began; 0 when not waiting. */
  since: number;
  /** Sleep length of the next sleeping round, in ms. */
  sleepMs: number;
  /** Rounds spent in this wait. */
  rounds: number;
  /** Milliseconds into the wait at which spinning or yielding next turns the event loop. */
  nextTurnMs: number;
  readonly noSleep: boolean;
  readonly yieldCpu: () => void;
}

/**
 * Spin this long before yielding (ms). Short: on a loaded machine (other
 * processes on the 2 cores) spinning longer only takes CPU from the peer we
 * wait for — 0.5 ms of spinning halved throughput in our measurements.
 */
const SPIN_MS = 0.02;
/**
 * While spinning, wait this long (ms) between two looks at the peer's
 * counter, touching no shared memory. A peer that publishes its counter after
 * every packet (pcap2fmadio's Put, fmadio2pcap's Get) finds that counter's
 * cache line taken away by each of our looks and stalls on its next store;
 * polling flat out, fmagent consume made pcap2fmadio itself slower than
 * fmadio2pcap did (pair on the mixed capture 363 ms against 327; with this
 * gap 271 ms, on the small one 436 → 285 ms). A fast peer fills the ring in
 * no less than ~40 µs, so the gap never lets it run full.
 */
const POLL_GAP_MS = 0.01;
/**
 * Yield the CPU until this long into a wait (ms), then sleep. Long enough
 * that a busy peer (which answers within a batch, well under this) never
 * sends us to sleep; short enough that an idle side soon stops using CPU.
 */
const YIELD_MS = 20;
const FIRST_SLEEP_MS = 1;
/**
 * Keep the shortest sleep until this long into a wait (ms): on a loaded
 * machine a busy peer can be descheduled for tens of ms, and noticing its
 * return late would cost throughput; only a side idle this long backs off further.
 */
const SHORT_SLEEP_MS = 200;
/**
 * Longest sleeps: 16 ms, and 32 ms once idle for LONG_IDLE_MS. A timer
 * wake-up costs ~30 µs on a quiet VM but measured 150–300 µs of CPU on a
 * loaded one (4 ms steps cost 3% of a core there, 16 ms 1.75%); the price is
 * up to 32 ms before the first packet after a long idle spell is seen
 * (output already taken is flushed before sleeping).
 */
const MAX_SLEEP_MS = 16;
const LONG_IDLE_MS = 2000;
const LONG_IDLE_SLEEP_MS = 32;
/**
 * While spinning or yielding, turn the event loop (so signal handlers run)
 * once every this many ms of waiting. Rarely: a turn is a timer, and even a
 * 0 ms timer sleeps ~2 ms on these VMs, far longer than a busy peer takes to
 * answer (turning it every 256 rounds, ~0.2 ms, left both sides of a pair
 * asleep half of the time).
 */
const TURN_MS = 10;

export function newBackoff(yieldCpu: () => void, noSleep = false): Backoff {
  return { since: 0, sleepMs: FIRST_SLEEP_MS, rounds: 0, nextTurnMs: TURN_MS, noSleep, yieldCpu };
}

/** The wait is over (the peer made progress): the next wait starts by spinning again. */
export function resetBackoff(backoff: Backoff): void {
  backoff.since = 0;
  backoff.rounds = 0;
  backoff.sleepMs = FIRST_SLEEP_MS;
  backoff.nextTurnMs = TURN_MS;
}

/** Milliseconds since the current wait began (0 if not waiting). */
export function waitedMs(backoff: Backoff): number {
  return backoff.since === 0 ? 0 : performance.now() - backoff.since;
}

const resolved = Promise.resolve();

/** One round of waiting; the caller re-checks its condition after each round. */
export function pause(backoff: Backoff): Promise<void> {
  const now = performance.now();
  if (backoff.since === 0) backoff.since = now;
  backoff.rounds++;
  const waited = now - backoff.since;
  if (waited < SPIN_MS) {
    waitLocally(now + POLL_GAP_MS);
    return resolved;
  }
  if (waited < YIELD_MS || backoff.noSleep) {
    backoff.yieldCpu();
    if (waited < backoff.nextTurnMs) return resolved;
    backoff.nextTurnMs = waited + TURN_MS;
    return sleep(0);
  }
  const ms = backoff.sleepMs;
  if (waited >= SHORT_SLEEP_MS) {
    backoff.sleepMs = Math.min(ms * 2, waited >= LONG_IDLE_MS ? LONG_IDLE_SLEEP_MS : MAX_SLEEP_MS);
  }
  return sleep(ms);
}

/**
 * Runs `pause` once through each of its branches that sleep or turn the
 * event loop (a few ms) on a throwaway waiting state, for warm-ups: V8
 * compiles callers that inline `pause` with what it has seen, and a branch
 * first met in the real run (an idle spell) would throw that code away.
 */
export async function exercisePause(): Promise<void> {
  const probe = newBackoff(() => {});
  // First a few cheap rounds: V8 records what it sees only once a function has
  // been called several times (its feedback is allocated lazily).
  for (let i = 0; i < 16; i++) await pause(probe);
  for (const idleMs of [TURN_MS, YIELD_MS, SHORT_SLEEP_MS, LONG_IDLE_MS]) {
    probe.since = performance.now() - idleMs - 1;
    probe.sleepMs = FIRST_SLEEP_MS;
    await pause(probe);
  }
}

/** Busy-waits until performance.now() reaches `until`, reading nothing the peer writes. */
function waitLocally(until: number): void {
  while (performance.now() < until) {
    // only the clock is read
  }
}

/** A timer wait; setTimeout turns the event loop, so signal handlers run. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

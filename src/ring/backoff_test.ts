import { assert, assertEquals } from "../../tests/support/assert.ts";
import { exercisePause, newBackoff, pause, resetBackoff, waitedMs } from "./backoff.ts";

Deno.test("backoff: spins first, then yields the CPU, then sleeps in growing steps; reset starts over", async () => {
  let yields = 0;
  const backoff = newBackoff(() => yields++);
  // Spinning: the first round neither yields nor sleeps.
  await pause(backoff);
  assertEquals(yields, 0);
  assert(backoff.since > 0);
  // Past the spin phase: yielding.
  const spinEnd = performance.now() + 0.1;
  while (performance.now() < spinEnd) { /* let the spin phase pass */ }
  await pause(backoff);
  assert(yields >= 1, "yields after spinning");
  // Past the yield phase (20 ms): 1 ms sleeps.
  await new Promise((r) => setTimeout(r, 25));
  await pause(backoff);
  assertEquals(backoff.sleepMs, 1, "short sleeps while a busy peer may just be descheduled");
  // Past 200 ms: sleeps of 1, 2, 4, 8, 16, 16 ms.
  await new Promise((r) => setTimeout(r, 180));
  const yieldsBefore = yields;
  const steps: number[] = [];
  for (let i = 0; i < 6; i++) {
    steps.push(backoff.sleepMs);
    const t = performance.now();
    await pause(backoff);
    assert(performance.now() - t >= 0.9 * steps[i]!, "really slept");
  }
  assertEquals(steps, [1, 2, 4, 8, 16, 16]);
  // After 2 s idle: up to 32 ms.
  backoff.since = performance.now() - 2500;
  await pause(backoff);
  assertEquals(backoff.sleepMs, 32);
  assertEquals(yields, yieldsBefore, "no yielding while sleeping");
  assert(waitedMs(backoff) > 40);
  resetBackoff(backoff);
  assertEquals([backoff.since, backoff.rounds, backoff.sleepMs, waitedMs(backoff)], [0, 0, 1, 0]);
});

Deno.test("backoff: --no-sleep keeps yielding and never sleeps", async () => {
  let yields = 0;
  const backoff = newBackoff(() => yields++, true);
  backoff.since = performance.now() - 1000; // a second into the wait
  for (let i = 0; i < 100; i++) await pause(backoff);
  assertEquals(yields, 100);
  // A sleeping round would have doubled the next sleep (the wait is past 200 ms).
  assertEquals(backoff.sleepMs, 1, "busy-polling, not sleeping");
});

Deno.test("backoff: spinning and yielding turn the event loop only every 10 ms, not every few rounds", async () => {
  // A 0 ms timer sleeps ~2 ms here; taken every few hundred rounds it kept
  // both sides of a busy pair asleep half of the time.
  let yields = 0;
  const backoff = newBackoff(() => yields++);
  const realSetTimeout = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((handler: () => void, ms?: number) => {
    timers++;
    return realSetTimeout(handler, ms);
  }) as typeof setTimeout;
  try {
    const start = performance.now();
    for (let i = 0; i < 2000; i++) await pause(backoff);
    const elapsed = performance.now() - start;
    assert(yields > 0, "reached the yield phase");
    assert(timers <= Math.ceil(elapsed / 10), `${timers} timers in ${elapsed.toFixed(1)} ms`);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
});

Deno.test("exercisePause goes through the sleeping branches and returns", async () => {
  // Four sleeps of at most FIRST_SLEEP_MS and one event-loop turn: well under a second.
  const start = performance.now();
  await exercisePause();
  assert(performance.now() - start < 1000, "exercisePause took too long");
});

Deno.test("backoff: while spinning, each round waits 10 µs before the caller looks at the ring again", async () => {
  let yields = 0;
  const backoff = newBackoff(() => yields++);
  const started = performance.now();
  await pause(backoff);
  // The gap is waited out inside pause (no timer), so it holds on any machine.
  assert(performance.now() - started >= 0.01, "the first round waited the poll gap");
  assertEquals(yields, 0, "spinning, not yet yielding");
  await pause(backoff);
  await pause(backoff);
  assert(yields >= 1, "after two gaps (20 µs of spinning) it yields");
});

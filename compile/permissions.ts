/**
 * The Deno permissions the shipped binaries run with. Both `deno compile`
 * and the portable binary use this list, so they behave alike.
 *
 * What the commands need: read (capture files, the ring, `-F`/`--program`
 * files), write (output pcaps, creating and updating the ring), ffi (mmap of
 * the ring and sched_setaffinity through libc), env (TMPDIR, the cache
 * directory variables).
 *
 * Why that is `--allow-all` and not `--allow-read --allow-write --allow-ffi
 * --allow-env`: Deno 2.9 refuses every path under /dev — stat, open for
 * reading or writing — unless the process has all permissions, whatever
 * paths --allow-read/--allow-write name ("Requires all access to
 * /dev/shm/ring, run again with the --allow-all flag"; checked with
 * `--allow-read=/dev/shm --allow-write=/dev/shm` too). Rings in /dev/shm and
 * `-w /dev/stdout` are everyday use, so the four flags do not work. And
 * --allow-ffi, which the ring cannot do without, already lets the process do
 * anything libc can: the finer flags would not have been a sandbox anyway.
 * tests/package/portable_test.ts runs a ring in /dev/shm to hold this true.
 */
export const RUNTIME_PERMISSIONS: readonly string[] = ["--allow-all"];

/**
 * V8 flags every fmagent process runs with.
 * - `--no-lazy` compiles each function when its module loads instead of on its
 *   first call, so Deno's code cache (written after the first run) holds the
 *   bytecode of the whole program: the first filter a process compiles no
 *   longer pays for compiling the filter compiler itself (8–11 ms → 2–5 ms for
 *   `udp` here, the whole command no slower to start).
 * - `--no-sparkplug` and `--invocation-count-for-maglev=3000` (default 400)
 *   keep V8 from compiling the many lukewarm functions of a short run (the
 *   filter compiler's, the command line's) with its baseline and middle tiers,
 *   work that competed with the main thread: a first compile 4.3–5.6 → 2.5–3.8
 *   ms; hot loops still reach Maglev and TurboFan (ring and filter throughput
 *   unchanged within the noise of this VM).
 * Figures in BENCHMARKS.md (Filter, Ring). bin/fmagent.cjs repeats this list
 * (it cannot import TypeScript), and so does deno.json's `fmagent` task.
 */
export const RUNTIME_V8_FLAGS: readonly string[] = [
  "--v8-flags=--no-lazy,--no-sparkplug,--invocation-count-for-maglev=3000",
];

/**
 * Flags that make `deno run` of the bundle independent of where it is started:
 * no deno.json/package.json/lock file from the working directory, no network
 * fetches, no permission prompts.
 */
export const ISOLATION_FLAGS: readonly string[] = [
  "--no-config",
  "--no-lock",
  "--no-remote",
  "--no-prompt",
  "--cached-only",
];

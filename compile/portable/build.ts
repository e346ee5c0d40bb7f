/**
 * `deno task compile:portable`: builds dist/fmagent-portable-x86_64-linux,
 * one file that runs on any x86_64 Linux with kernel >= 3.2 (CentOS 7.9's
 * glibc 2.17 included) because it brings its own glibc:
 *
 *   static launcher (launcher.c) + zstd payload { deno, lib/ (ld-linux, libc,
 *   ...), fmagent.js } + manifest (the command to exec) + trailer (hash).
 *
 * Layout: payload_format.h. Needs gcc, libzstd-dev (static libzstd.a) and
 * the glibc runtime of Debian's libc6/libgcc-s1 in /lib/x86_64-linux-gnu.
 */
import { bundle } from "../bundle.ts";
import { BUILD_DIR, DENO_BINARY, DENO_ENTRY, DIST_DIR, fromFileUrl } from "../paths.ts";
import { ISOLATION_FLAGS, RUNTIME_PERMISSIONS, RUNTIME_V8_FLAGS } from "../permissions.ts";

const SOURCE_DIR = fromFileUrl(new URL("./", import.meta.url));

/** Where Debian's libc6 and libgcc-s1 install the runtime libraries. */
export const GLIBC_DIR = "/lib/x86_64-linux-gnu";
/** What the Deno binary needs (ldd), plus the loader that runs it. */
export const GLIBC_FILES: readonly string[] = [
  "ld-linux-x86-64.so.2",
  "libc.so.6",
  "libm.so.6",
  "libdl.so.2",
  "libpthread.so.0",
  "librt.so.1",
  "libgcc_s.so.1",
];

/** Level 9: 36 MB for the 95 MB Deno in ~2.5 s of one core; 19 saves 4 MB for 70 s. */
const ZSTD_LEVEL = 9;
const TRAILER_MAGIC = new TextEncoder().encode("FMAGENT\x01");
const TRAILER_SIZE = 72;
const HASH_DIGITS = 32;

export const PORTABLE_OUTPUT = `${DIST_DIR}/fmagent-portable-x86_64-linux`;

export interface PortableBuild {
  readonly path: string;
  readonly size: number;
  /** Names the cache directory the binary extracts to. */
  readonly hash: string;
  readonly launcherSize: number;
  readonly payloadSize: number;
}

export class BuildError extends Error {
  override name = "BuildError";
  readonly exitCode = 1;
}

async function exec(program: string, args: readonly string[], what: string): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(program, { args: [...args], stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    throw new BuildError(`Cannot ${what}: cannot run ${program} (${String(error)})`);
  }
  if (!output.success) {
    const text = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new BuildError(`Cannot ${what}: ${program} failed: ${text}`);
  }
}

async function requireFile(path: string, hint: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch {
    throw new BuildError(`Cannot build the portable binary: ${path} is missing (${hint})`);
  }
}

/** The command the launcher execs, with "{dir}" = the extraction directory. */
export function manifestEntries(): string[] {
  return [
    "arg:{dir}/lib/ld-linux-x86-64.so.2",
    // Only the bundled libraries: never the rootfs's libc or its ld.so.cache entries.
    "arg:--library-path",
    "arg:{dir}/lib",
    "arg:--argv0",
    "arg:{argv0}",
    "arg:{dir}/deno",
    "arg:run",
    ...ISOLATION_FLAGS.map((f) => `arg:${f}`),
    ...RUNTIME_PERMISSIONS.map((f) => `arg:${f}`),
    ...RUNTIME_V8_FLAGS.map((f) => `arg:${f}`),
    "arg:{dir}/fmagent.js",
    // Deno's own caches (V8 code cache) beside the extraction: no HOME needed.
    "env:DENO_DIR={dir}/deno_dir",
    "env:DENO_NO_UPDATE_CHECK=1",
    "env:DENO_NO_PACKAGE_JSON=1",
    // A rootfs preload library was built for the rootfs's libc, not the bundled one.
    "unset:LD_PRELOAD",
  ];
}

function trailer(
  payloadOffset: number,
  payloadSize: number,
  manifestOffset: number,
  manifestSize: number,
  hash: string,
): Uint8Array {
  const bytes = new Uint8Array(TRAILER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes.set(TRAILER_MAGIC, 0);
  view.setBigUint64(8, BigInt(payloadOffset), true);
  view.setBigUint64(16, BigInt(payloadSize), true);
  view.setBigUint64(24, BigInt(manifestOffset), true);
  view.setBigUint64(32, BigInt(manifestSize), true);
  bytes.set(new TextEncoder().encode(hash), 40);
  return bytes;
}

async function sha256Hex(parts: readonly Uint8Array[]): Promise<string> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Renames `from` to `to`, through a copy beside `to` when they are on different file systems. */
async function moveInto(from: string, to: string): Promise<void> {
  try {
    await Deno.rename(from, to);
  } catch (error) {
    if (!(error instanceof Error) || !/cross-device/i.test(error.message)) throw error;
    const beside = `${to}.partial-${Deno.pid}`;
    await Deno.copyFile(from, beside);
    await Deno.rename(beside, to);
  }
}

/** Compiles the static launcher (also used alone by the tests). */
export async function buildLauncher(outfile: string): Promise<void> {
  await requireFile("/usr/lib/x86_64-linux-gnu/libzstd.a", "apt-get install libzstd-dev");
  await exec("gcc", [
    "-std=c11",
    "-Os",
    "-s",
    "-static",
    "-Wall",
    "-Wextra",
    "-o",
    outfile,
    `${SOURCE_DIR}launcher.c`,
    "-l:libzstd.a",
  ], "compile the launcher");
}

export interface PortableOptions {
  /** Default dist/fmagent-portable-x86_64-linux. */
  readonly outfile?: string;
  /** The app's entry module (default src/cli/main.ts). */
  readonly entry?: string;
}

/** Builds the portable binary (atomically: a failed build leaves nothing at `outfile`). */
export async function buildPortable(options: PortableOptions = {}): Promise<PortableBuild> {
  const outfile = options.outfile ?? PORTABLE_OUTPUT;
  const entry = options.entry ?? DENO_ENTRY;
  await requireFile(DENO_BINARY, "run npm ci: it comes with the npm package deno");
  for (const name of GLIBC_FILES) {
    await requireFile(`${GLIBC_DIR}/${name}`, "apt-get install libc6 libgcc-s1");
  }
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  const work = await Deno.makeTempDir({ dir: BUILD_DIR, prefix: "portable-" });
  try {
    const stage = `${work}/stage`;
    await Deno.mkdir(`${stage}/lib`, { recursive: true });
    await Deno.mkdir(`${stage}/deno_dir`);
    await bundle({
      entries: [{ name: "fmagent", path: entry }],
      outdir: stage,
      runtime: "deno",
      minify: true,
    });
    await Deno.copyFile(DENO_BINARY, `${stage}/deno`);
    await Deno.chmod(`${stage}/deno`, 0o755);
    for (const name of GLIBC_FILES) {
      await Deno.copyFile(await Deno.realPath(`${GLIBC_DIR}/${name}`), `${stage}/lib/${name}`);
      await Deno.chmod(`${stage}/lib/${name}`, 0o755);
    }

    await buildLauncher(`${work}/launcher`);
    await exec(
      "gcc",
      ["-O2", "-o", `${work}/pack`, `${SOURCE_DIR}pack.c`, "-lzstd"],
      "compile pack",
    );
    const entries = [
      "deno",
      "lib",
      ...GLIBC_FILES.map((n) => `lib/${n}`),
      "fmagent.js",
      "deno_dir",
    ];
    await exec(
      `${work}/pack`,
      [`${work}/payload.zst`, String(ZSTD_LEVEL), stage, ...entries],
      "compress the payload",
    );

    const launcher = await Deno.readFile(`${work}/launcher`);
    const payload = await Deno.readFile(`${work}/payload.zst`);
    const manifest = new TextEncoder().encode(manifestEntries().map((e) => `${e}\0`).join(""));
    const hash = (await sha256Hex([payload, manifest])).slice(0, HASH_DIGITS);
    const payloadOffset = launcher.length;
    const manifestOffset = payloadOffset + payload.length;
    const tail = trailer(payloadOffset, payload.length, manifestOffset, manifest.length, hash);

    const partial = `${work}/fmagent`;
    const file = await Deno.open(partial, {
      write: true,
      create: true,
      truncate: true,
      mode: 0o755,
    });
    try {
      for (const part of [launcher, payload, manifest, tail]) {
        let done = 0;
        while (done < part.length) done += await file.write(part.subarray(done));
      }
    } finally {
      file.close();
    }
    await Deno.chmod(partial, 0o755);
    const outDir = outfile.replace(/\/[^/]*$/, "");
    if (outDir !== "") await Deno.mkdir(outDir, { recursive: true });
    await moveInto(partial, outfile);
    return {
      path: outfile,
      size: launcher.length + payload.length + manifest.length + tail.length,
      hash,
      launcherSize: launcher.length,
      payloadSize: payload.length,
    };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  try {
    const started = performance.now();
    const built = await buildPortable({ outfile: Deno.args[0] ?? PORTABLE_OUTPUT });
    const mb = (n: number) => (n / 1e6).toFixed(1);
    console.log(
      `${built.path}: ${mb(built.size)} MB (launcher ${mb(built.launcherSize)} MB, payload ${
        mb(built.payloadSize)
      } MB), cache key ${built.hash}, built in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
  } catch (error) {
    console.error(`fmagent build: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}

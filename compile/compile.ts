/**
 * `deno task compile [--target x86_64|aarch64]... [--outdir DIR]`: builds
 * dist/fmagent-x86_64-linux and dist/fmagent-aarch64-linux with deno compile
 * from the bundled app (demo capture included: it is a module of the app).
 *
 * deno compile embeds the app into `denort`, a runtime it downloads from
 * dl.deno.land at build time unless it finds one: Deno 2.9 reads the file
 * named by DENORT_BIN *for whatever target it builds*, else the zip cached in
 * $DENO_DIR/dl/release/v<version>/. So each target needs its own denort:
 * DENORT_BIN_X86_64 / DENORT_BIN_AARCH64 (DENORT_BIN counts for x86_64),
 * checked to be an ELF for that machine. Where none can be had, the task
 * stops with one line saying so and writes nothing — never a fake binary.
 */
import { bundle } from "./bundle.ts";
import { BUILD_DIR, DENO_ENTRY, DIST_DIR } from "./paths.ts";
import { ISOLATION_FLAGS, RUNTIME_PERMISSIONS, RUNTIME_V8_FLAGS } from "./permissions.ts";
import { VERSION } from "../src/version.ts";

export interface CompileTarget {
  /** What `--target` accepts here. */
  readonly arch: "x86_64" | "aarch64";
  /** deno compile's target triple. */
  readonly triple: string;
  /** e_machine in the ELF header of a binary for this target. */
  readonly elfMachine: number;
  /** Environment variables naming a denort for this target, in order of preference. */
  readonly denortVariables: readonly string[];
}

export const TARGETS: readonly CompileTarget[] = [
  {
    arch: "x86_64",
    triple: "x86_64-unknown-linux-gnu",
    elfMachine: 0x3e,
    denortVariables: ["DENORT_BIN_X86_64", "DENORT_BIN"],
  },
  {
    arch: "aarch64",
    triple: "aarch64-unknown-linux-gnu",
    elfMachine: 0xb7,
    denortVariables: ["DENORT_BIN_AARCH64"],
  },
];

export class CompileError extends Error {
  override name = "CompileError";
  readonly exitCode = 1;
}

/** Where a target's denort comes from: a file for DENORT_BIN, or Deno's download cache. */
export type DenortSource = { kind: "file"; path: string } | { kind: "cache"; path: string };

function denoVersion(): string {
  return Deno.version.deno;
}

/** Deno's cache directory as deno compile computes it (DENO_DIR, else XDG/HOME cache). */
function denoDir(env: (name: string) => string | undefined): string | undefined {
  const explicit = env("DENO_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/deno`;
  const home = env("HOME");
  return home ? `${home}/.cache/deno` : undefined;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The ELF e_machine of `path`, or undefined if it is not an ELF file. */
export function elfMachine(path: string): number | undefined {
  const file = Deno.openSync(path, { read: true });
  try {
    const header = new Uint8Array(20);
    if (file.readSync(header) !== 20) return undefined;
    if (header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) {
      return undefined;
    }
    return new DataView(header.buffer).getUint16(18, true);
  } finally {
    file.close();
  }
}

/** Finds the denort for `target`, or explains in one line why there is none. */
export function findDenort(
  target: CompileTarget,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): DenortSource {
  for (const variable of target.denortVariables) {
    const path = env(variable);
    if (path === undefined || path === "") continue;
    if (!exists(path)) {
      throw new CompileError(
        `Cannot compile for ${target.arch}: ${variable}=${path} does not exist`,
      );
    }
    const machine = elfMachine(path);
    if (machine !== target.elfMachine) {
      throw new CompileError(
        `Cannot compile for ${target.arch}: ${variable}=${path} is not an ${target.arch} Linux executable`,
      );
    }
    return { kind: "file", path };
  }
  const dir = denoDir(env);
  const zip = dir && `${dir}/dl/release/v${denoVersion()}/denort-${target.triple}.zip`;
  if (zip && exists(zip)) return { kind: "cache", path: zip };
  throw new CompileError(
    `Cannot compile for ${target.arch}: deno compile needs denort ${denoVersion()} for ${target.triple}, ` +
      `which it downloads from dl.deno.land (not reachable here); set ${
        target.denortVariables.join(" or ")
      }=/path/to/denort (from denort-${target.triple}.zip of the Deno ${denoVersion()} release)`,
  );
}

async function run(args: string[], env: Record<string, string>): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), { args, env, stdout: "piped", stderr: "piped" })
    .output();
}

function lastLines(bytes: Uint8Array): string {
  // deno colours its messages; strip ANSI escapes so the one line reads cleanly.
  // deno-lint-ignore no-control-regex
  const text = new TextDecoder().decode(bytes).replace(/\x1b\[[0-9;]*m/g, "").trim();
  return text.split("\n").slice(-2).join(" | ");
}

export interface CompileOptions {
  readonly targets?: readonly CompileTarget[];
  readonly outdir?: string;
  readonly env?: (name: string) => string | undefined;
}

/**
 * Builds one binary per target into `outdir` (dist/ by default) and returns
 * their paths. Finds every denort first, so a missing one stops the task
 * before anything is written. A binary for this machine's architecture is
 * run once (`--version`) before it is put in place.
 */
export async function compileBinaries(options: CompileOptions = {}): Promise<string[]> {
  const targets = options.targets ?? TARGETS;
  const outdir = options.outdir ?? DIST_DIR;
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const sources = targets.map((t) => ({ target: t, denort: findDenort(t, env) }));

  await Deno.mkdir(BUILD_DIR, { recursive: true });
  const work = await Deno.makeTempDir({ dir: BUILD_DIR, prefix: "compile-" });
  try {
    await bundle({
      entries: [{ name: "fmagent", path: DENO_ENTRY }],
      outdir: work,
      runtime: "deno",
      minify: true,
    });
    const app = `${work}/fmagent.js`;
    await Deno.mkdir(outdir, { recursive: true });
    const built: string[] = [];
    for (const { target, denort } of sources) {
      const partial = `${work}/fmagent-${target.arch}-linux`;
      // No package.json discovery: the bundle needs nothing from node_modules (which holds a 95 MB deno).
      const childEnv: Record<string, string> = {
        ...Deno.env.toObject(),
        DENO_NO_UPDATE_CHECK: "1",
        DENO_NO_PACKAGE_JSON: "1",
      };
      delete childEnv.DENORT_BIN;
      if (denort.kind === "file") childEnv.DENORT_BIN = denort.path;
      const output = await run([
        "compile",
        ...ISOLATION_FLAGS.filter((f) => f !== "--no-prompt"),
        ...RUNTIME_PERMISSIONS,
        ...RUNTIME_V8_FLAGS,
        "--target",
        target.triple,
        "--output",
        partial,
        app,
      ], childEnv);
      if (!output.success) {
        throw new CompileError(
          `Cannot compile for ${target.arch}: deno compile failed: ${lastLines(output.stderr)}`,
        );
      }
      if (elfMachine(partial) !== target.elfMachine) {
        throw new CompileError(
          `Cannot compile for ${target.arch}: deno compile wrote no ${target.arch} executable`,
        );
      }
      if (Deno.build.arch === target.arch) {
        const check = await new Deno.Command(partial, {
          args: ["--version"],
          stdout: "piped",
          stderr: "piped",
        })
          .output();
        const said = new TextDecoder().decode(check.stdout).trim();
        if (!check.success || said !== `fmagent ${VERSION}`) {
          throw new CompileError(
            `Cannot compile for ${target.arch}: the result answered '--version' with '${
              said.split("\n")[0]
            }', not 'fmagent ${VERSION}' (is ${denort.path} a denort ${denoVersion()}?)`,
          );
        }
      }
      const final = `${outdir}/fmagent-${target.arch}-linux`;
      await Deno.rename(partial, final);
      built.push(final);
    }
    return built;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** `--target ARCH` (repeatable) and `--outdir DIR`. */
export function parseCompileArgs(
  args: readonly string[],
): { targets: CompileTarget[]; outdir?: string } {
  const targets: CompileTarget[] = [];
  let outdir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if ((flag === "--target" || flag === "--outdir") && value !== undefined) {
      i++;
      if (flag === "--outdir") {
        outdir = value;
        continue;
      }
      const target = TARGETS.find((t) => t.arch === value || t.triple === value);
      if (target === undefined) {
        throw new CompileError(`Cannot compile: unknown target ${value} (x86_64 or aarch64)`);
      }
      targets.push(target);
    } else {
      throw new CompileError(
        `Cannot compile: unexpected argument ${flag} (--target ARCH, --outdir DIR)`,
      );
    }
  }
  return outdir === undefined ? { targets: targets.length ? targets : [...TARGETS] } : {
    targets: targets.length ? targets : [...TARGETS],
    outdir,
  };
}

if (import.meta.main) {
  try {
    const { targets, outdir } = parseCompileArgs(Deno.args);
    const built = await compileBinaries(outdir === undefined ? { targets } : { targets, outdir });
    for (const path of built) {
      console.log(`${path}: ${(Deno.statSync(path).size / 1e6).toFixed(1)} MB`);
    }
  } catch (error) {
    console.error(`fmagent compile: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}

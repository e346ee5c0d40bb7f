/**
 * `deno task compile` (compile/compile.ts): offline it must stop with one
 * line naming DENORT_BIN and write nothing; given a runtime that is not a
 * denort it must refuse the result; given real denorts it builds both.
 */
import { findDenort, TARGETS } from "../../compile/compile.ts";
import { VERSION } from "../../src/version.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { REPO_ROOT, run, said } from "./support.ts";

const COMPILE = `${REPO_ROOT}/compile/compile.ts`;
/** The full deno CLI: an x86_64 ELF, but not a denort. */
const NOT_A_DENORT = `${REPO_ROOT}/node_modules/@deno/linux-x64-glibc/deno`;

/** The targets this machine can really compile for: a denort given (DENORT_BIN*) or cached. */
function compilableTargets(): typeof TARGETS[number][] {
  return TARGETS.filter((target) => {
    try {
      findDenort(target);
      return true;
    } catch {
      return false;
    }
  });
}

/** The environment of a machine without DENORT_BIN*, whose Deno cache is `denoDir`. */
function offlineEnv(denoDir: string): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of Object.keys(env)) if (name.startsWith("DENORT_BIN")) delete env[name];
  return { ...env, DENO_DIR: denoDir };
}

async function compileTask(args: string[], env: Record<string, string>) {
  return await run(Deno.execPath(), ["run", "-A", COMPILE, ...args], { env, clearEnv: true });
}

Deno.test("compile: without a denort it stops with one line and writes nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "fmagent-compile-test-" });
  try {
    const out = await compileTask(["--outdir", `${tmp}/dist`], offlineEnv(`${tmp}/deno-dir`));
    assertEquals(out.code, 1, said(out));
    assertMatch(
      out.stderr,
      /^fmagent compile: Cannot compile for x86_64: deno compile needs denort \S+ for x86_64-unknown-linux-gnu, which it downloads from dl\.deno\.land \(not reachable here\); set DENORT_BIN_X86_64 or DENORT_BIN=\/path\/to\/denort .*\n$/,
    );
    assertEquals(out.stderr.split("\n").length, 2, "one line");
    assertEquals(out.stdout, "");
    let written: string[] = [];
    try {
      written = [...Deno.readDirSync(`${tmp}/dist`)].map((e) => e.name);
    } catch {
      // never created: nothing written
    }
    assertEquals(written, []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("compile: names the variable for each target and checks the runtime's architecture", () => {
  const [x86, arm] = TARGETS;
  assert(x86 !== undefined && arm !== undefined);
  const none = (_: string) => undefined;
  let message = "";
  try {
    findDenort(arm, none);
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(message, /^Cannot compile for aarch64: .* set DENORT_BIN_AARCH64=\/path\/to\/denort/);
  try {
    findDenort(arm, (n) => n === "DENORT_BIN_AARCH64" ? NOT_A_DENORT : undefined);
    message = "";
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(
    message,
    /^Cannot compile for aarch64: DENORT_BIN_AARCH64=.* is not an aarch64 Linux executable$/,
  );
  const found = findDenort(x86, (n) => n === "DENORT_BIN" ? NOT_A_DENORT : undefined);
  assertEquals(found, { kind: "file", path: NOT_A_DENORT });
});

Deno.test("compile: a DENORT_BIN that is not a denort gives no binary", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "fmagent-compile-test-" });
  try {
    const env = { ...offlineEnv(`${tmp}/deno-dir`), DENORT_BIN: NOT_A_DENORT };
    const out = await compileTask(["--target", "x86_64", "--outdir", `${tmp}/dist`], env);
    assertEquals(out.code, 1, said(out));
    assertMatch(
      out.stderr,
      /^fmagent compile: Cannot compile for x86_64: the result answered '--version' with 'deno /,
    );
    assertEquals([...Deno.readDirSync(`${tmp}/dist`)].map((e) => e.name), []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "compile: builds the binaries it has a denort for, demo embedded",
  ignore: compilableTargets().length === 0,
  // Reported as ignored where no denort can be had (no DENORT_BIN*, none cached): deno compile
  // downloads it from dl.deno.land, which this machine and CI cannot reach.
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "fmagent-compile-test-" });
    try {
      const targets = compilableTargets();
      const args = targets.flatMap((t) => ["--target", t.arch]);
      const out = await compileTask([...args, "--outdir", tmp], Deno.env.toObject());
      assertEquals(out.code, 0, said(out));
      for (const target of targets) {
        const binary = `${tmp}/fmagent-${target.arch}-linux`;
        const bytes = await Deno.readFile(binary);
        assertEquals(new DataView(bytes.buffer).getUint16(18, true), target.elfMachine, binary);
        if (target.arch !== Deno.build.arch) continue;
        const version = await run(binary, ["--version"]);
        assertEquals(version.stdout, `fmagent ${VERSION}\n`, said(version));
        const demo = await run(binary, ["demo"], { cwd: tmp });
        assertEquals(demo.code, 0, said(demo));
        assertMatch(
          demo.stdout,
          /\n16 packets, 1302 bytes through a temporary FMAD ring \(16 produced, end of stream seen\)\n$/,
        );
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

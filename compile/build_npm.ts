/**
 * `deno task build:npm`: writes npm/, the package `fmagent` for Node >= 20,
 * doing what @deno/dnt would (dnt is on JSR only, which we cannot reach):
 *
 *   npm/bin/fmagent.js    the CLI (src/cli/main_node.ts)
 *   npm/esm/mod.js        the library API of mod.ts as ESM
 *   npm/types/mod.d.ts    its types (compile/types/mod.d.ts, checked against mod.ts by a test)
 *   npm/package.json      with koffi as the one runtime dependency (native, not bundled)
 *
 * esbuild swaps each `*.deno.ts` for its `*.node.ts` twin (the ring's libc
 * shim becomes koffi) and binds `Deno` to src/cli/deno_shim.node.ts.
 */
import { bundle } from "./bundle.ts";
import { BUILD_DIR, fromFileUrl, LIBRARY_ENTRY, NODE_ENTRY, NPM_DIR, REPO_ROOT } from "./paths.ts";
import { VERSION } from "../src/version.ts";

/** Hand-written declarations of mod.ts's exports (tests/package/npm_types_test.ts keeps them true). */
export const LIBRARY_TYPES = fromFileUrl(new URL("./types/mod.d.ts", import.meta.url));

export class NpmBuildError extends Error {
  override name = "NpmBuildError";
  readonly exitCode = 1;
}

export interface NpmBuild {
  readonly dir: string;
  /** Names mod.js exports (empty if mod.ts does not exist yet). */
  readonly libraryExports: readonly string[];
  readonly hasLibrary: boolean;
  /** False when the declarations are the provisional untyped ones (no compile/types/mod.d.ts yet). */
  readonly typed: boolean;
}

/**
 * Stand-in declarations while compile/types/mod.d.ts is not written: every
 * value export as `any`, so TypeScript users can import but get no checking.
 * The build warns, and the type test is reported as ignored, not passed.
 */
function provisionalTypes(names: readonly string[]): string {
  const lines = names.map((n) =>
    n === "default"
      ? "declare const _default: any;\nexport default _default;"
      : `export declare const ${n}: any;`
  );
  return [
    "// Provisional: compile/types/mod.d.ts is not written yet, so these exports are untyped.",
    ...lines,
    "",
  ].join("\n");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function koffiVersion(): Promise<string> {
  const text = await Deno.readTextFile(`${REPO_ROOT}/package.json`);
  const pkg = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
  const version = pkg.dependencies?.koffi ?? pkg.devDependencies?.koffi;
  if (version === undefined) {
    throw new NpmBuildError("Cannot build the npm package: package.json names no koffi version");
  }
  return version;
}

function packageJson(koffi: string, hasLibrary: boolean): string {
  const library = hasLibrary
    ? {
      main: "./esm/mod.js",
      types: "./types/mod.d.ts",
      exports: { ".": { types: "./types/mod.d.ts", default: "./esm/mod.js" } },
    }
    : {};
  return JSON.stringify(
    {
      name: "fmagent",
      version: VERSION,
      description:
        "Packet agent for FMADIO capture appliances: capture files to and from the FMAD ring, with its own tcpdump filter compiler",
      license: "MIT",
      type: "module",
      bin: { fmagent: "bin/fmagent.js" },
      ...library,
      files: ["bin/", "esm/", "types/", "README.md"],
      engines: { node: ">=20" },
      os: ["linux"],
      // The ring is mapped through koffi's prebuilt addon; everything else is bundled.
      dependencies: { koffi },
    },
    null,
    2,
  ) + "\n";
}

const README = `# fmagent

Packet agent for FMADIO capture appliances: moves packets between capture files
and the FMAD ring shared with LXC containers, with its own compiler for the
tcpdump filter language. Linux, Node.js >= 20.

    npx fmagent demo
    npx fmagent filter -r in.pcapng -w out.pcap 'tcp port 443'
    npx fmagent consume -i /opt/fmadio/queue/lxc_ring0 | tcpdump -r - -nn

The ring is mapped with libc mmap through koffi (a prebuilt addon: no compiler
needed). The same commands ship as single binaries built with Deno; see the
project's README.
`;

/** Builds npm/ (replacing it whole: a failed build leaves the old one). */
export async function buildNpm(outdir = NPM_DIR): Promise<NpmBuild> {
  const hasLibrary = await exists(LIBRARY_ENTRY);
  const hasTypes = await exists(LIBRARY_TYPES);
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  const work = await Deno.makeTempDir({ dir: BUILD_DIR, prefix: "npm-" });
  try {
    const staged = `${work}/package`;
    const bundled = `${work}/bundled`;
    const cliEntry = { name: "fmagent", path: NODE_ENTRY };
    const entries = hasLibrary ? [cliEntry, { name: "mod", path: LIBRARY_ENTRY }] : [cliEntry];
    const result = await bundle({ entries, outdir: bundled, runtime: "node" });
    await Deno.mkdir(`${staged}/bin`, { recursive: true });
    const cli = await Deno.readTextFile(`${bundled}/fmagent.js`);
    await Deno.writeTextFile(`${staged}/bin/fmagent.js`, `#!/usr/bin/env node\n${cli}`, {
      mode: 0o755,
    });
    await Deno.chmod(`${staged}/bin/fmagent.js`, 0o755);
    let libraryExports: readonly string[] = [];
    if (hasLibrary) {
      await Deno.mkdir(`${staged}/esm`);
      await Deno.mkdir(`${staged}/types`);
      await Deno.rename(`${bundled}/mod.js`, `${staged}/esm/mod.js`);
      const key = Object.keys(result.exports).find((k) => k.endsWith("/mod.js"));
      libraryExports = key === undefined ? [] : result.exports[key] ?? [];
      if (hasTypes) await Deno.copyFile(LIBRARY_TYPES, `${staged}/types/mod.d.ts`);
      else await Deno.writeTextFile(`${staged}/types/mod.d.ts`, provisionalTypes(libraryExports));
    }
    await Deno.writeTextFile(
      `${staged}/package.json`,
      packageJson(await koffiVersion(), hasLibrary),
    );
    await Deno.writeTextFile(`${staged}/README.md`, README);
    await Deno.remove(outdir, { recursive: true }).catch(() => {});
    await Deno.rename(staged, outdir);
    return { dir: outdir, libraryExports, hasLibrary, typed: hasLibrary && hasTypes };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  try {
    const built = await buildNpm(Deno.args[0] ?? NPM_DIR);
    if (built.hasLibrary && !built.typed) {
      console.error(
        `fmagent build:npm: warning: ${LIBRARY_TYPES} is missing; the library ships untyped`,
      );
    }
    console.log(
      `${built.dir}: fmagent ${VERSION} for Node >= 20 (bin fmagent${
        built.hasLibrary
          ? `, library: ${built.libraryExports.length} exports`
          : "; no mod.ts yet, no library"
      }); try: cd ${built.dir} && npm pack`,
    );
  } catch (error) {
    console.error(`fmagent build:npm: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}

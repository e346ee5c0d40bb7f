/**
 * Bundles fmagent into one JavaScript file with esbuild, for a runtime:
 * `deno` (the input of deno compile and of the portable binary) or `node`
 * (the npm package). For Node, each `*.deno.ts` import is swapped for its
 * `*.node.ts` twin (dnt's per-runtime files) and the global `Deno` is bound
 * to a small Node implementation instead of being left to the host.
 */
import * as esbuild from "esbuild";
import { fromFileUrl } from "./paths.ts";

export type BundleRuntime = "deno" | "node";

export interface BundleOptions {
  /** Entry modules: absolute `path`, written as `<outdir>/<name>.js`. */
  readonly entries: readonly { readonly name: string; readonly path: string }[];
  /** Output directory. */
  readonly outdir: string;
  readonly runtime: BundleRuntime;
  /** Text placed first in each output (after the bundle's own prologue). */
  readonly banner?: string;
  readonly minify?: boolean;
}

export interface BundleResult {
  /** Names exported by each output file, keyed by the output's path relative to the cwd. */
  readonly exports: Readonly<Record<string, readonly string[]>>;
}

/** The `Deno` global as fmagent's code uses it, implemented on Node. */
export const NODE_DENO_SHIM = fromFileUrl(new URL("../src/cli/deno_shim.node.ts", import.meta.url));

/**
 * A CommonJS module in the bundle `require`s Node built-ins; an ESM bundle has no
 * `require`, so give it one (Deno and Node both provide node:module).
 */
const REQUIRE_PROLOGUE =
  'import { createRequire as __fmagentCreateRequire } from "node:module";\n' +
  "const require = __fmagentCreateRequire(import.meta.url);";

/** Resolves `x.deno.ts` to `x.node.ts` when bundling for Node; the twin must exist. */
function runtimeTwins(runtime: BundleRuntime): esbuild.Plugin {
  return {
    name: "fmagent-runtime-twins",
    setup(build) {
      if (runtime === "deno") return;
      build.onResolve({ filter: /\.deno\.ts$/ }, (args) => {
        const denoPath = fromFileUrl(new URL(args.path, `file://${args.resolveDir}/`));
        const nodePath = denoPath.replace(/\.deno\.ts$/, ".node.ts");
        try {
          Deno.statSync(nodePath);
        } catch {
          return { errors: [{ text: `no Node twin ${nodePath} for ${denoPath}` }] };
        }
        return { path: nodePath };
      });
    },
  };
}

/** Bundles `options.entries`; throws with esbuild's messages on failure. */
export async function bundle(options: BundleOptions): Promise<BundleResult> {
  try {
    const result = await esbuild.build({
      entryPoints: options.entries.map((e) => ({ in: e.path, out: e.name })),
      outdir: options.outdir,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "es2022",
      minify: options.minify ?? false,
      legalComments: "none",
      metafile: true,
      logLevel: "silent",
      banner: { js: [REQUIRE_PROLOGUE, options.banner ?? ""].join("\n") },
      // Under Node the bundle is never Deno's main module, whatever Node version sets import.meta.main.
      define: options.runtime === "node" ? { "import.meta.main": "false" } : {},
      inject: options.runtime === "node" ? [NODE_DENO_SHIM] : [],
      plugins: [runtimeTwins(options.runtime)],
    });
    const exports: Record<string, readonly string[]> = {};
    for (const [path, output] of Object.entries(result.metafile.outputs)) {
      exports[path] = output.exports;
    }
    return { exports };
  } catch (error) {
    const failure = error as { errors?: esbuild.Message[] };
    const messages = (failure.errors ?? []).map((m) =>
      m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text
    );
    throw new Error(
      `Cannot bundle ${options.entries.map((e) => e.path).join(", ")}: ${
        messages.join("; ") || String(error)
      }`,
    );
  } finally {
    await esbuild.stop();
  }
}

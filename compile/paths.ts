/**
 * Where the build scripts find their inputs and put their outputs, all
 * relative to the repository root (this file's parent folder).
 */

/** A file: URL as a path (no percent-encoded names in this repository). */
export function fromFileUrl(url: URL): string {
  return decodeURIComponent(url.pathname);
}

export const REPO_ROOT = fromFileUrl(new URL("../", import.meta.url)).replace(/\/$/, "");
export const DIST_DIR = `${REPO_ROOT}/dist`;
/** Intermediate files of the builds (bundles, staged payload); safe to delete. */
export const BUILD_DIR = `${REPO_ROOT}/dist/.build`;
export const NPM_DIR = `${REPO_ROOT}/npm`;

/** The CLI's Deno entry: main.ts runs `main(Deno.args)` when it is the main module. */
export const DENO_ENTRY = `${REPO_ROOT}/src/cli/main.ts`;
/** The CLI's Node entry (the npm bin). */
export const NODE_ENTRY = `${REPO_ROOT}/src/cli/main_node.ts`;
/** The library API. */
export const LIBRARY_ENTRY = `${REPO_ROOT}/mod.ts`;

/** The Deno executable of the npm package `deno` (its linux-x64 glibc build). */
export const DENO_BINARY = `${REPO_ROOT}/node_modules/@deno/linux-x64-glibc/deno`;

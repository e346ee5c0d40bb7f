#!/usr/bin/env node
// Runs fmagent from source with the Deno that `npm ci` installed, so
// `npx fmagent ...` works in a checkout. (The published npm package ships
// its own Node entry instead; see compile/.)
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.join(__dirname, "..");
const deno = require.resolve("deno/bin.cjs", { paths: [root] });
const args = [
  deno,
  "run",
  "--quiet",
  "--config",
  path.join(root, "deno.json"),
  // --allow-all: Deno refuses /dev paths (rings in /dev/shm, -w /dev/stdout) under narrower
  // flags, and --allow-ffi, which the ring needs, grants what libc can do anyway.
  "--allow-all",
  // compile/permissions.ts RUNTIME_V8_FLAGS: the whole program goes into Deno's code cache.
  "--v8-flags=--no-lazy,--no-sparkplug,--invocation-count-for-maglev=3000",
  path.join(root, "src", "cli", "main.ts"),
  ...process.argv.slice(2),
];
// The terminal's SIGINT reaches Deno directly (same process group); don't die before it.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
const result = spawnSync(process.execPath, args, { stdio: "inherit" });
if (result.error) {
  process.stderr.write(`fmagent: cannot start Deno: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status ?? (result.signal === "SIGINT" ? 130 : 1));

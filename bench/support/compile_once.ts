/**
 * One filter compile in a fresh process, for the filter benchmark's
 * first-compile figure: prints the milliseconds `compileFilter(EXPR)` took
 * (module loading not included, as it is not for the warm figure).
 *
 *   deno run -A [--v8-flags=...] bench/support/compile_once.ts EXPR
 */
import { compileFilter } from "../../src/bpf/compile_filter.ts";

const expression = Deno.args[0] ?? "udp";
const start = performance.now();
compileFilter(expression);
console.log((performance.now() - start).toFixed(3));

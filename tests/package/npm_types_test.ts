/**
 * The npm package's types (compile/types/mod.d.ts, hand-written because tsc is
 * not among our dependencies) must agree with mod.ts; the checker itself is
 * tested on a small fixture pair first, so "agrees" cannot mean "checked nothing".
 */
import { LIBRARY_TYPES } from "../../compile/build_npm.ts";
import { LIBRARY_ENTRY } from "../../compile/paths.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { checkAgreement } from "./declarations.ts";
import { exists } from "./support.ts";

const FIXTURES = decodeURIComponent(new URL("./fixtures/", import.meta.url).pathname);

Deno.test("declaration checker accepts agreeing and rejects disagreeing declarations", async () => {
  const module = `${FIXTURES}types_module.ts`;
  assertEquals(await checkAgreement(module, `${FIXTURES}types_module_good.d.ts`), "");
  const bad = await checkAgreement(module, `${FIXTURES}types_module_bad.d.ts`);
  assert(bad !== "", "disagreeing declarations were accepted");
  assertMatch(
    bad,
    /Arity\d+ = Assert<Same<Parameters<typeof M\.make>/,
    "an extra parameter of make",
  );
  assertMatch(bad, /Property 'reset' is missing/, "an extra method of Counter");
});

Deno.test({
  name: "npm types/mod.d.ts agrees with mod.ts",
  // Until compile/types/mod.d.ts is written the package ships provisional untyped declarations.
  ignore: !exists(LIBRARY_ENTRY) || !exists(LIBRARY_TYPES),
  fn: async () => {
    assertEquals(await checkAgreement(LIBRARY_ENTRY, LIBRARY_TYPES), "");
  },
});

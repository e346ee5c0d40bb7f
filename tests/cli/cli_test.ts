/** The CLI as a user meets it: help, version, and a one-line error with the right exit status. */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { fmagent } from "../support/cli.ts";
import { COMMANDS } from "../../src/cli/commands.ts";
import { VERSION } from "../../src/version.ts";

Deno.test("fmagent --help lists every command with examples; no arguments is a usage error", async () => {
  const help = await fmagent(["--help"]);
  assertEquals(help.code, 0);
  for (const c of COMMANDS) match(help.text, new RegExp(`^  ${c.name} `, "m"));
  match(help.text, /Examples:/);
  const bare = await fmagent([]);
  assertEquals(bare.code, 2);
  match(bare.text, /Usage: fmagent <command>/);
});

Deno.test("fmagent --version matches package.json", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(new URL("../../package.json", import.meta.url)));
  assertEquals(VERSION, pkg.version);
  const out = await fmagent(["--version"]);
  assertEquals(out.code, 0);
  assertEquals(out.text, `fmagent ${pkg.version}\n`);
});

for (const c of COMMANDS) {
  Deno.test(`fmagent ${c.name} --help shows usage and examples`, async () => {
    const out = await fmagent([c.name, "--help"]);
    assertEquals(out.code, 0, out.stderr);
    match(out.text, new RegExp(`Usage: fmagent ${c.name}`));
    match(out.text, /Examples:/);
  });
}

Deno.test("an unknown command or flag is one line on stderr and exit 2", async () => {
  const unknown = await fmagent(["frobnicate"]);
  assertEquals(unknown.code, 2);
  match(unknown.stderr, /^fmagent: unknown command 'frobnicate'.*\n$/);
  const flag = await fmagent(["filter", "--bogus"]);
  assertEquals(flag.code, 2);
  match(flag.stderr, /^fmagent: unknown option '--bogus' \(see 'fmagent filter --help'\)\n$/);
  const count = await fmagent(["filter", "-c", "many"]);
  assertEquals(count.code, 2);
  ok(count.stderr.split("\n").filter(Boolean).length === 1, count.stderr);
});

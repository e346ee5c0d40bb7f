/**
 * The npm package under Node (compile/build_npm.ts): built, packed with
 * `npm pack`, installed from the tarball into an empty project, and used as a
 * user would: `npx fmagent demo`, `fmagent filter` on a corpus capture,
 * produce → consume through a ring (koffi), and the library from a script.
 */
import { buildNpm, type NpmBuild } from "../../compile/build_npm.ts";
import { VERSION } from "../../src/version.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import {
  CORPUS_DIR,
  hasRingCommands,
  type PcapRecord,
  pcapRecords,
  REPO_ROOT,
  RING_SAMPLE,
  run,
  said,
} from "./support.ts";

function sameRecords(actual: PcapRecord[], expected: PcapRecord[]): boolean {
  return actual.length === expected.length && actual.every((a, i) => {
    const e = expected[i]!;
    return a.sec === e.sec && a.nsec === e.nsec && a.caplen === e.caplen &&
      a.wirelen === e.wirelen &&
      a.data.every((b, j) => b === e.data[j]);
  });
}

Deno.test("npm package", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "fmagent-npm-test-" });
  try {
    const node = await run("node", ["--version"]);
    assertMatch(node.stdout, /^v(2\d|[3-9]\d)\./, "Node >= 20");
    const built: NpmBuild = await buildNpm(`${tmp}/package`);
    const project = `${tmp}/project`;
    const env = {
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
      npm_config_audit: "false",
    };

    await t.step("packs and installs from the tarball", async () => {
      const packed = await run("npm", ["pack", "--pack-destination", tmp], { cwd: built.dir, env });
      assertEquals(packed.code, 0, said(packed));
      await Deno.mkdir(project);
      await Deno.writeTextFile(
        `${project}/package.json`,
        JSON.stringify({ name: "fmagent-smoke", private: true, type: "module" }),
      );
      // koffi (the one dependency) comes from npm's cache when it is there, else the registry.
      const installed = await run(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", `${tmp}/fmagent-${VERSION}.tgz`],
        { cwd: project, env },
      );
      assertEquals(installed.code, 0, said(installed));
      const manifest = JSON.parse(
        await Deno.readTextFile(`${project}/node_modules/fmagent/package.json`),
      );
      assertEquals(manifest.version, VERSION);
      assertEquals(
        Object.keys(manifest.dependencies),
        ["koffi"],
        "only koffi is a runtime dependency",
      );
    });

    // npx costs ~1 s a call: it runs the demo; the other steps call the installed bin directly.
    const fmagent = (args: string[], stdin?: Uint8Array) =>
      run(
        `${project}/node_modules/.bin/fmagent`,
        args,
        stdin === undefined ? { cwd: project, env } : {
          cwd: project,
          env,
          stdin,
        },
      );

    await t.step("npx fmagent demo", async () => {
      const demo = await run("npx", ["--no-install", "fmagent", "demo"], { cwd: project, env });
      assertEquals(demo.code, 0, said(demo));
      assertMatch(
        demo.stdout,
        /\n16 packets, 1302 bytes through a temporary FMAD ring \(16 produced, end of stream seen\)\n$/,
      );
      const version = await fmagent(["--version"]);
      assertEquals(version.stdout, `fmagent ${VERSION}\n`, said(version));
      const bad = await fmagent(["filter", "-r", `${tmp}/missing.pcap`]);
      assertEquals(bad.code, 2, said(bad));
      assertMatch(bad.stderr, /^fmagent: Cannot read .*missing\.pcap: no such file\n$/);
    });

    await t.step("fmagent filter on a corpus capture selects what tcpdump selects", async () => {
      const input = `${CORPUS_DIR}ISIS_level2_adjacency.pcap`;
      const copy = await fmagent(["filter", "-r", input, "-w", `${tmp}/copy.pcap`]);
      assertEquals(copy.code, 0, said(copy));
      const expected = pcapRecords(await Deno.readFile(input)).records;
      assert(
        sameRecords(pcapRecords(await Deno.readFile(`${tmp}/copy.pcap`)).records, expected),
        "copy differs",
      );
      const sample = await Deno.readFile(RING_SAMPLE);
      const piped = await fmagent(["filter", "not", "ether", "broadcast"], sample);
      assertEquals(piped.code, 0, said(piped));
      const ours = pcapRecords(piped.stdoutBytes).records.length;
      const tcpdump = await run("tcpdump", ["-r", RING_SAMPLE, "-nn", "not", "ether", "broadcast"]);
      assertEquals(tcpdump.code, 0, said(tcpdump));
      assertEquals(ours, tcpdump.stdout.trim().split("\n").filter((l) => l !== "").length);
    });

    await t.step({
      name: "produce → consume through a ring (koffi)",
      ignore: !hasRingCommands(),
      fn: async () => {
        const ring = `${tmp}/ring`;
        const produced = await fmagent(["produce", "-i", ring, RING_SAMPLE]);
        assertEquals(produced.code, 0, said(produced));
        const consumed = await fmagent(["consume", "-i", ring, "-w", "-"]);
        assertEquals(consumed.code, 0, said(consumed));
        const expected = pcapRecords(await Deno.readFile(RING_SAMPLE)).records;
        assert(
          sameRecords(pcapRecords(consumed.stdoutBytes).records, expected),
          "consumed packets differ",
        );
        assertMatch(consumed.stderr, new RegExp(`${expected.length} packets`));
        // Across runtimes: Node (koffi) produces, Deno (Deno.dlopen) consumes the same mapping.
        const again = await fmagent(["produce", "-i", ring, RING_SAMPLE]);
        assertEquals(again.code, 0, said(again));
        const byDeno = await run(Deno.execPath(), [
          "run",
          "--allow-all",
          `${REPO_ROOT}/src/cli/main.ts`,
          "consume",
          "-i",
          ring,
          "-w",
          "-",
        ]);
        assertEquals(byDeno.code, 0, said(byDeno));
        assert(
          sameRecords(pcapRecords(byDeno.stdoutBytes).records, expected),
          "Node → Deno packets differ",
        );
      },
    });

    await t.step({
      name: "the library imports from a script",
      ignore: !built.hasLibrary,
      fn: async () => {
        assert(built.libraryExports.length > 0, "mod.ts exports nothing");
        const script = `import * as fmagent from "fmagent";
const missing = ${JSON.stringify(built.libraryExports)}.filter((n) => fmagent[n] === undefined);
if (missing.length) throw new Error("missing exports: " + missing.join(", "));
const { reader, close } = await fmagent.openCaptureFile(process.argv[2], fmagent.bytesReader(new Uint8Array()));
let packets = 0;
for (let batch = await reader.next(); batch !== null; batch = await reader.next()) packets += batch.count;
close();
console.log(JSON.stringify({ exports: Object.keys(fmagent).length, packets, version: fmagent.VERSION }));`;
        await Deno.writeTextFile(`${project}/smoke.mjs`, script);
        const imported = await run("node", ["smoke.mjs", RING_SAMPLE], { cwd: project, env });
        assertEquals(imported.code, 0, said(imported));
        const expected = pcapRecords(await Deno.readFile(RING_SAMPLE)).records.length;
        assertEquals(JSON.parse(imported.stdout), {
          exports: built.libraryExports.length,
          packets: expected,
          version: VERSION,
        });
        const types = await Deno.readTextFile(`${project}/node_modules/fmagent/types/mod.d.ts`);
        assert(
          types.includes("export declare class CaptureReader"),
          "types/mod.d.ts ships the declarations",
        );
      },
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

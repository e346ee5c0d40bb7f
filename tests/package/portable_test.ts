/**
 * The portable binary (compile/portable): built once here, then run as a
 * user would run it on a CentOS 7.9 rootfs — in an empty chroot, with decoy
 * libcs, from a read-only or hostile cache location, many at once.
 */
import { buildPortable, type PortableBuild } from "../../compile/portable/build.ts";
import { VERSION } from "../../src/version.ts";
import { assert, assertBytesEqual, assertEquals, assertMatch } from "../support/assert.ts";
import {
  exists,
  hasRingCommands,
  isRoot,
  type PcapRecord,
  pcapRecords,
  RING_SAMPLE,
  run,
  said,
  unmount,
} from "./support.ts";

const MAX_SIZE = 45_000_000;

function assertSameRecords(actual: PcapRecord[], expected: PcapRecord[], what: string): void {
  assertEquals(actual.length, expected.length, `${what}: packet count`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assertEquals(
      [a.sec, a.nsec, a.caplen, a.wirelen],
      [e.sec, e.nsec, e.caplen, e.wirelen],
      `${what}: packet ${i}`,
    );
    assertBytesEqual(a.data, e.data, `${what}: packet ${i}`);
  }
}

/** "GLIBC_2.36" → [2, 36], for comparing versions. */
function glibcVersion(name: string): number[] {
  return name.replace("GLIBC_", "").split(".").map(Number);
}

function newer(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return false;
}

/** GLIBC_* versions a shipped ELF file requires ("Version References" of objdump -p). */
async function requiredGlibc(path: string): Promise<string[]> {
  const out = await run("objdump", ["-p", path]);
  assertEquals(out.code, 0, `objdump -p ${path}`);
  const references = out.stdout.split("Version References:")[1] ?? "";
  return [...references.matchAll(/GLIBC_[0-9.]+/g)].map((m) => m[0]);
}

Deno.test("portable binary", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "fmagent-portable-test-" });
  const mounts: string[] = [];
  const mount = async (args: string[], at: string) => {
    const out = await run("mount", [...args, at]);
    assertEquals(out.code, 0, `mount ${args.join(" ")} ${at}: ${out.stderr}`);
    mounts.push(at);
  };
  try {
    const built: PortableBuild = await buildPortable({ outfile: `${tmp}/fmagent` });
    const binary = built.path;
    const cache = `${tmp}/cache`;
    const withCache = (dir = cache) => ({ env: { FMAGENT_CACHE_DIR: dir } });

    await t.step(`is at most ${MAX_SIZE / 1e6} MB`, () => {
      assertEquals(Deno.statSync(binary).size, built.size);
      assert(built.size <= MAX_SIZE, `${built.size} bytes`);
    });

    await t.step("the launcher is static and asks for a kernel of at most 3.2", async () => {
      const headers = await run("objdump", ["-p", binary]);
      assertEquals(headers.code, 0, said(headers));
      assert(!/\bINTERP\b/.test(headers.stdout), "has a program interpreter");
      assert(!/\bNEEDED\b/.test(headers.stdout), "needs shared libraries");
      assert(!/Dynamic Section/.test(headers.stdout), "has a dynamic section");
      const notes = await run("readelf", ["-n", binary]);
      const abi = notes.stdout.match(/OS: Linux, ABI: (\d+)\.(\d+)\.(\d+)/);
      assert(abi !== null, `no ABI note: ${notes.stdout}`);
      assert(!newer([Number(abi[1]), Number(abi[2]), Number(abi[3])], [3, 2, 0]), abi[0]);
    });

    await t.step("passes arguments, stdin, stdout, stderr and the exit status", async () => {
      const version = await run(binary, ["--version"], withCache());
      assertEquals(version.code, 0, said(version));
      assertEquals(version.stdout, `fmagent ${VERSION}\n`);
      const bad = await run(binary, ["no-such-command"], withCache());
      assertEquals(bad.code, 2, said(bad));
      assertMatch(bad.stderr, /^fmagent: unknown command 'no-such-command'/);
      assertEquals(bad.stdout, "");
      const input = await Deno.readFile(RING_SAMPLE);
      const copied = await run(binary, ["filter", "-r", "-", "-w", "-"], {
        ...withCache(),
        stdin: input,
      });
      assertEquals(copied.code, 0, said(copied));
      assertSameRecords(
        pcapRecords(copied.stdoutBytes).records,
        pcapRecords(input).records,
        "filter stdin→stdout",
      );
    });

    await t.step("no shipped file needs a newer glibc than the bundled one", async () => {
      const dir = `${cache}/${built.hash}`;
      const defined = await run("objdump", ["-p", `${dir}/lib/libc.so.6`]);
      const definitions =
        defined.stdout.split("Version definitions:")[1]?.split("Version References:")[0] ?? "";
      const bundled = [...definitions.matchAll(/GLIBC_[0-9.]+/g)].map((m) => glibcVersion(m[0]))
        .reduce((a, b) => newer(a, b) ? a : b);
      assert(newer(bundled, [2, 17]), `bundled glibc ${bundled.join(".")}`);
      const shipped = ["deno", ...[...Deno.readDirSync(`${dir}/lib`)].map((e) => `lib/${e.name}`)];
      assert(shipped.length >= 8, shipped.join(" "));
      for (const file of shipped) {
        for (const version of await requiredGlibc(`${dir}/${file}`)) {
          assert(
            !newer(glibcVersion(version), bundled),
            `${file} needs ${version}, bundled ${bundled.join(".")}`,
          );
        }
      }
    });

    await t.step("concurrent first runs all succeed and leave one extraction", async () => {
      const fresh = `${tmp}/concurrent`;
      const runs = await Promise.all(
        Array.from({ length: 4 }, () => run(binary, ["--version"], withCache(fresh))),
      );
      for (const r of runs) {
        assertEquals(r.code, 0, said(r));
        assertEquals(r.stdout, `fmagent ${VERSION}\n`);
      }
      assertEquals([...Deno.readDirSync(fresh)].map((e) => e.name), [built.hash]);
    });

    await t.step("refuses a world-writable or foreign-owned cache directory", async () => {
      const open = `${tmp}/world-writable`;
      await Deno.mkdir(open);
      await Deno.chmod(open, 0o777);
      const refused = await run(binary, ["--version"], withCache(open));
      assertEquals(refused.code, 1, said(refused));
      assertMatch(
        refused.stderr,
        /^fmagent: cannot use cache directory .*world-writable.*FMAGENT_CACHE_DIR.*\n$/,
      );
      assertEquals([...Deno.readDirSync(open)].length, 0);
      if (isRoot()) {
        const foreign = `${tmp}/foreign`;
        await Deno.mkdir(foreign, { mode: 0o700 });
        await Deno.chown(foreign, 4242, 4242);
        const refusedForeign = await run(binary, ["--version"], withCache(foreign));
        assertEquals(refusedForeign.code, 1, said(refusedForeign));
        assertMatch(
          refusedForeign.stderr,
          /^fmagent: cannot use cache directory .*owned by uid 4242/,
        );
      }
    });

    await t.step("removes a partial extraction that a killed run left behind", async () => {
      const swept = `${tmp}/swept`;
      const stale = `${swept}/.tmp-${built.hash}-AbCdEf`;
      await Deno.mkdir(stale, { recursive: true, mode: 0o700 });
      await Deno.chmod(swept, 0o700);
      await Deno.writeTextFile(`${stale}/deno`, "half");
      const twoHoursAgo = Date.now() / 1000 - 7200;
      await Deno.utime(stale, twoHoursAgo, twoHoursAgo);
      const ran = await run(binary, ["--version"], withCache(swept));
      assertEquals(ran.code, 0, said(ran));
      assertEquals([...Deno.readDirSync(swept)].map((e) => e.name), [built.hash]);
    });

    await t.step(
      "a truncated or corrupted copy fails with one line and leaves nothing",
      async () => {
        const whole = await Deno.readFile(binary);
        const truncated = `${tmp}/truncated`;
        await Deno.writeFile(truncated, whole.subarray(0, whole.length - 1000), { mode: 0o755 });
        const cut = await run(truncated, ["--version"], withCache(`${tmp}/cache-truncated`));
        assertEquals(cut.code, 1, said(cut));
        assertEquals(
          cut.stderr,
          "fmagent: cannot start: this file has no payload (truncated copy?)\n",
        );
        const corrupted = `${tmp}/corrupted`;
        const flipped = whole.slice();
        const middle = built.launcherSize + Math.floor(built.payloadSize / 2);
        flipped[middle] = flipped[middle]! ^ 0xff;
        await Deno.writeFile(corrupted, flipped, { mode: 0o755 });
        const corruptCache = `${tmp}/cache-corrupted`;
        const bad = await run(corrupted, ["--version"], withCache(corruptCache));
        assertEquals(bad.code, 1, said(bad));
        assertMatch(bad.stderr, /^fmagent: cannot extract: corrupt payload \(.*\)\n$/);
        assertEquals([...Deno.readDirSync(corruptCache)].map((e) => e.name), []);
      },
    );

    await t.step("a damaged cache is named in the error", async () => {
      const damaged = `${tmp}/damaged`;
      assertEquals((await run(binary, ["--version"], withCache(damaged))).code, 0);
      await Deno.remove(`${damaged}/${built.hash}/lib/ld-linux-x86-64.so.2`);
      const broken = await run(binary, ["--version"], withCache(damaged));
      assertEquals(broken.code, 1, said(broken));
      assertEquals(
        broken.stderr,
        `fmagent: cannot run ${damaged}/${built.hash}/lib/ld-linux-x86-64.so.2: No such file or directory ` +
          `(damaged cache: remove ${damaged}/${built.hash})\n`,
      );
    });

    await t.step({
      name: "a noexec cache location gives a clear error",
      ignore: !isRoot(),
      fn: async () => {
        const noexec = `${tmp}/noexec`;
        await Deno.mkdir(noexec);
        await mount(["-t", "tmpfs", "-o", "noexec,mode=0700,size=256m", "tmpfs"], noexec);
        const refused = await run(binary, ["--version"], withCache(noexec));
        assertEquals(refused.code, 1, said(refused));
        assertMatch(
          refused.stderr,
          /^fmagent: cannot run .*ld-linux-x86-64\.so\.2: Permission denied \(a noexec mount\? set FMAGENT_CACHE_DIR/,
        );
      },
    });

    await t.step({
      name: "a read-only cache location gives a clear error",
      ignore: !isRoot(),
      fn: async () => {
        const readOnly = `${tmp}/read-only`;
        await Deno.mkdir(readOnly);
        await mount(["-t", "tmpfs", "-o", "ro,mode=0700,size=1m", "tmpfs"], readOnly);
        const inside = await run(binary, ["--version"], withCache(readOnly));
        assertEquals(inside.code, 1, said(inside));
        assertEquals(inside.stdout, "");
        assertMatch(
          inside.stderr,
          /^fmagent: cannot extract to .*: Read-only file system \(set FMAGENT_CACHE_DIR to a private, writable directory\)\n$/,
        );
        const below = await run(binary, ["--version"], withCache(`${readOnly}/fmagent`));
        assertEquals(below.code, 1, said(below));
        assertMatch(
          below.stderr,
          /^fmagent: cannot create cache directory .*: Read-only file system/,
        );
      },
    });

    await t.step({
      name: "a failed extraction (disk full) leaves nothing behind",
      ignore: !isRoot(),
      fn: async () => {
        const small = `${tmp}/small`;
        await Deno.mkdir(small);
        await mount(["-t", "tmpfs", "-o", "mode=0700,size=8m", "tmpfs"], small);
        const full = await run(binary, ["--version"], withCache(small));
        assertEquals(full.code, 1, said(full));
        assertMatch(full.stderr, /^fmagent: cannot extract .*No space left on device/);
        assertEquals([...Deno.readDirSync(small)].map((e) => e.name), []);
      },
    });

    await t.step({
      name: "signals reach the app: SIGTERM ends a waiting consumer cleanly",
      ignore: !hasRingCommands(),
      fn: async () => {
        const ring = `${tmp}/signal-ring`;
        const produced = await run(
          binary,
          ["produce", "--no-eof", "-i", ring, RING_SAMPLE],
          withCache(),
        );
        assertEquals(produced.code, 0, said(produced));
        const out = `${tmp}/signal.pcap`;
        const expected = pcapRecords(await Deno.readFile(RING_SAMPLE)).records;
        const consumer = new Deno.Command(binary, {
          args: ["consume", "-i", ring, "-w", out, "-v"],
          env: { FMAGENT_CACHE_DIR: cache },
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        let delivered = 0;
        let exited = false;
        consumer.status.then(() => exited = true);
        for (
          let waited = 0;
          waited < 15_000 && delivered < expected.length && !exited;
          waited += 50
        ) {
          await new Promise((r) => setTimeout(r, 50));
          try {
            delivered = pcapRecords(await Deno.readFile(out)).records.length;
          } catch {
            delivered = 0; // not written yet, or mid-record
          }
        }
        try {
          consumer.kill("SIGTERM");
        } catch {
          // it ended by itself: the assertions below show how
        }
        const ended = await consumer.output();
        const stderr = new TextDecoder().decode(ended.stderr);
        assertEquals(ended.code, 0, stderr);
        assertMatch(stderr, new RegExp(`${expected.length} packets`));
        assertSameRecords(pcapRecords(await Deno.readFile(out)).records, expected, "consumed");
      },
    });

    await t.step({
      name: "runs in an empty chroot, with and without decoy libcs",
      ignore: !isRoot(),
      fn: async () => {
        const root = `${tmp}/root`;
        for (const dir of ["proc", "dev/shm", "tmp"]) {
          await Deno.mkdir(`${root}/${dir}`, { recursive: true });
        }
        await Deno.chmod(`${root}/tmp`, 0o1777);
        await Deno.copyFile(binary, `${root}/fmagent`);
        await Deno.chmod(`${root}/fmagent`, 0o755);
        await mount(["-t", "proc", "proc"], `${root}/proc`);
        for (const device of ["null", "urandom"]) {
          await Deno.writeFile(`${root}/dev/${device}`, new Uint8Array());
          await mount(["--bind", `/dev/${device}`], `${root}/dev/${device}`);
        }
        await mount(["-t", "tmpfs", "-o", "size=64m", "tmpfs"], `${root}/dev/shm`);
        const inChroot = (args: string[], stdin?: Uint8Array) =>
          run(
            "chroot",
            [root, "/fmagent", ...args],
            stdin === undefined ? { clearEnv: true } : { clearEnv: true, stdin },
          );
        const input = await Deno.readFile(RING_SAMPLE);
        const expected = pcapRecords(input).records;

        const checkAll = async (label: string) => {
          const version = await inChroot(["--version"]);
          assertEquals(version.code, 0, `${label}: ${said(version)}`);
          assertEquals(version.stdout, `fmagent ${VERSION}\n`);
          assert(
            exists(`${root}/tmp/fmagent-0/${built.hash}`),
            `${label}: extracted to /tmp/fmagent-UID`,
          );
          const demo = await inChroot(["demo"]);
          assertEquals(demo.code, 0, `${label}: ${said(demo)}`);
          assertMatch(
            demo.stdout,
            /\n16 packets, 1302 bytes through a temporary FMAD ring \(16 produced, end of stream seen\)\n$/,
            label,
          );
          if (!hasRingCommands()) return;
          const produced = await inChroot(["produce", "-i", "/dev/shm/ring", "-"], input);
          assertEquals(produced.code, 0, `${label}: ${said(produced)}`);
          const consumed = await inChroot(["consume", "-i", "/dev/shm/ring", "-w", "-"]);
          assertEquals(consumed.code, 0, `${label}: ${said(consumed)}`);
          const output = pcapRecords(consumed.stdoutBytes);
          assertEquals(output.linkType, 1, `${label}: link type`);
          assertSameRecords(output.records, expected, `${label}: ring in /dev/shm`);
          await Deno.remove(`${root}/dev/shm/ring`);
        };

        await checkAll("empty chroot");
        const decoy = new TextEncoder().encode("not a library\n");
        for (const dir of ["lib64", "lib/x86_64-linux-gnu"]) {
          await Deno.mkdir(`${root}/${dir}`, { recursive: true });
          await Deno.writeFile(`${root}/${dir}/libc.so.6`, decoy);
          await Deno.writeFile(`${root}/${dir}/ld-linux-x86-64.so.2`, decoy, { mode: 0o755 });
        }
        await Deno.remove(`${root}/tmp/fmagent-0`, { recursive: true });
        await checkAll("chroot with decoy libcs");
      },
    });
  } finally {
    for (const at of mounts.reverse()) await unmount(at);
    await Deno.remove(tmp, { recursive: true });
  }
});

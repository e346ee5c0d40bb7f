/**
 * fmagent against FMADIO's own tools: pcap2fmadio, fmadio2pcap and
 * fmadio2stat from fmadio/platform. They are not part of this repository, so
 * these tests run only when FMADIO_BIN names a directory holding them (on an
 * FMADIO host, or a local build: `FMADIO_BIN=/path/to/bin npm test`);
 * otherwise deno test reports them as ignored. interop_test.ts covers the same
 * directions against our own C peer in every run.
 */
import { assert, assertEquals } from "../support/assert.ts";
import type { CapturedPacket } from "../support/packet_builder.ts";
import { buildPcap } from "../support/packet_builder.ts";
import { corpusFiles } from "../support/corpus.ts";
import {
  records,
  runFmagent,
  samplePackets,
  samplePcap,
  sleep,
  spawnFmagent,
  withTempDir,
} from "./support.ts";

const FMADIO_BIN = Deno.env.get("FMADIO_BIN");
const ignore = FMADIO_BIN === undefined;

// pcap2fmadio reads microsecond pcap: times on whole microseconds, so the
// nanosecond output of either consumer must equal the input exactly.
const PACKETS: CapturedPacket[] = samplePackets(2500).map((p) => ({
  ...p,
  nsec: Math.floor(p.nsec / 1000) * 1000,
}));
const INPUT_US = buildPcap(PACKETS);
const EXPECTED_NS = samplePcap(PACKETS);

/**
 * Runs an FMADIO tool on `ring` with its stdin from (`<`) or stdout to (`>`)
 * `file`: pcap2fmadio reads the capture on stdin, fmadio2pcap writes stdout.
 */
function fmadioTool(tool: string, ring: string, redirect: "<" | ">", file: string) {
  return new Deno.Command("sh", {
    args: ["-c", `exec "$0" -i "$1" ${redirect} "$2"`, `${FMADIO_BIN}/${tool}`, ring, file],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** An empty ring made by fmagent: flow control on (pcap2fmadio's own rings have it off). */
async function fmagentRing(ring: string): Promise<void> {
  const made = await runFmagent(["produce", "-i", ring, "--eof-only", "--no-eof"]);
  assertEquals(made.code, 0, made.stderr);
}

Deno.test({
  name:
    "FMADIO tools: pcap2fmadio → fmagent consume gives byte-identical records, ends on its end of stream",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      const ring = `${dir}/ring`;
      const input = `${dir}/in.pcap`;
      const output = `${dir}/out.pcap`;
      await Deno.writeFile(input, INPUT_US);
      await fmagentRing(ring);
      const consumer = spawnFmagent(["consume", "-i", ring, "-w", output]);
      const producer = fmadioTool("pcap2fmadio", ring, "<", input);
      const [produced, consumed] = await Promise.all([producer.output(), consumer.output()]);
      assertEquals(produced.code, 0, new TextDecoder().decode(produced.stderr));
      const summary = new TextDecoder().decode(consumed.stderr);
      assertEquals(consumed.code, 0, summary);
      assert(summary.includes("2500 packets") && summary.includes("end of stream"), summary);
      assertEquals(records(await Deno.readFile(output)), records(EXPECTED_NS));
    }),
});

Deno.test({
  name:
    "FMADIO tools: fmagent produce → fmadio2pcap gives byte-identical records, ends on fmagent's end of stream",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      const ring = `${dir}/ring`;
      const input = `${dir}/in.pcap`;
      const output = `${dir}/out.pcap`;
      await Deno.writeFile(input, INPUT_US);
      await fmagentRing(ring);
      const consumer = fmadioTool("fmadio2pcap", ring, ">", output);
      // fmadio2pcap starts at Put, skipping what is queued: let it start first.
      await sleep(500);
      const produced = await runFmagent(["produce", "-i", ring, input]);
      assertEquals(produced.code, 0, produced.stderr);
      const consumed = await consumer.output();
      assertEquals(consumed.code, 0, new TextDecoder().decode(consumed.stderr));
      assertEquals(records(await Deno.readFile(output)), records(EXPECTED_NS));
    }),
});

Deno.test({
  name: "FMADIO tools: fmadio2stat reads an fmagent ring, fmagent stat reads a pcap2fmadio ring",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      const input = `${dir}/in.pcap`;
      await Deno.writeFile(input, buildPcap(PACKETS.slice(0, 10)));
      // fmagent's ring, 10 packets and the end of stream, read by fmadio2stat --json.
      const ours = `${dir}/ours`;
      const produced = await runFmagent(["produce", "-i", ours, input]);
      assertEquals(produced.code, 0, produced.stderr);
      const stat = await new Deno.Command(`${FMADIO_BIN}/fmadio2stat`, {
        args: ["-i", ours, "--json"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(stat.stdout);
      const status = new TextDecoder().decode(stat.stderr) + text;
      assert(status.includes("Status GOOD"), status);
      const json = JSON.parse(text.split("\n").find((line) => line.startsWith("{"))!);
      const bytes = PACKETS.slice(0, 10).reduce((n, p) => n + p.data.length, 0);
      assertEquals([json.Put, json.Get, json.PutByte], [11, 0, bytes]);
      // pcap2fmadio's own ring (flow control off), read by fmagent stat --json.
      const theirs = `${dir}/theirs`;
      const filled = await fmadioTool("pcap2fmadio", theirs, "<", input).output();
      assertEquals(filled.code, 0, new TextDecoder().decode(filled.stderr));
      const read = await runFmagent(["stat", "-i", theirs, "--json"]);
      assertEquals(read.code, 0, read.stderr);
      const fields = JSON.parse(new TextDecoder().decode(read.stdout));
      assertEquals([fields.put, fields.get, fields.flowControl], [11, 0, false]);
    }),
});

/**
 * The records of a little-endian classic pcap of Ethernet (all pcap2fmadio
 * reads) as fmagent consume should output them after pcap2fmadio: times in
 * ns, empty records not sent, the wire length stored modulo 65,536 (a u16).
 * undefined for a file pcap2fmadio does not take, or one it mangles (a
 * capture longer than a slot's 12,264 bytes overruns the next slot).
 */
function afterPcap2fmadio(file: Uint8Array): CapturedPacket[] | undefined {
  if (file.length < 24) return undefined;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, true);
  if ((magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) || view.getUint32(20, true) !== 1) {
    return undefined;
  }
  const unit = magic === 0xa1b23c4d ? 1 : 1000;
  const packets: CapturedPacket[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const caplen = view.getUint32(at + 8, true);
    if (caplen > 12264 || at + 16 + caplen > file.length) return undefined;
    if (caplen > 0) {
      packets.push({
        data: file.slice(at + 16, at + 16 + caplen),
        sec: view.getUint32(at, true),
        nsec: view.getUint32(at + 4, true) * unit,
        wirelen: view.getUint32(at + 12, true) & 0xffff,
      });
    }
    at += 16 + caplen;
  }
  return packets;
}

Deno.test({
  name:
    "FMADIO tools: every corpus capture pcap2fmadio takes comes out of fmagent consume record for record",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      let checked = 0;
      for (const path of corpusFiles()) {
        const file = await Deno.readFile(path);
        const expected = afterPcap2fmadio(file);
        // Without a consumer running, pcap2fmadio's own ring (no flow control) holds 1,023.
        if (expected === undefined || expected.length > 1000) continue;
        const ring = `${dir}/ring${checked}`;
        const put = await fmadioTool("pcap2fmadio", ring, "<", path).output();
        assertEquals(put.code, 0, `${path}: ${new TextDecoder().decode(put.stderr)}`);
        const got = await runFmagent(["consume", "-i", ring, "-w", "-"]);
        assertEquals(got.code, 0, `${path}: ${got.stderr}`);
        assertEquals(
          records(got.stdout),
          records(samplePcap(expected)),
          `${path}: records differ`,
        );
        await Deno.remove(ring);
        checked++;
      }
      assert(checked > 100, `only ${checked} corpus captures checked`);
    }),
});

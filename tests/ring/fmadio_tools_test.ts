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

/**
 * The shared corpus of real captures through `fmagent produce | fmagent
 * consume` in one session (every file, in order, one end of stream), with
 * tcpdump as the oracle: it must print the same lines for our output as for
 * the inputs one after the other (for the few inputs with packets the ring
 * must cut, as for a copy cut the same way).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { CORPUS, spawnFmagent, tcpdumpLines, waitForRing, withTempDir } from "./support.ts";
import { CaptureReader } from "../../src/pcap/capture_reader.ts";
import { LINKTYPE_ETHERNET } from "../../src/pcap/link_type.ts";
import { PcapWriter } from "../../src/pcap/pcap_writer.ts";
import { LENGTH_WIRE_MAX, SLOT_PAYLOAD_MAX } from "../../src/ring/layout.ts";

/**
 * Reads a corpus file and says whether the ring carries it unchanged; when it
 * does not (a packet over 10,240 bytes, a crafted wire length over the u16
 * field, an empty packet), writes `copy`: the same packets cut to 10,240
 * bytes, wire lengths capped at 65,535, empty ones left out, which is what
 * the ring must deliver.
 */
async function ringView(path: string, copy: string): Promise<"unchanged" | "copied" | string> {
  using file = await Deno.open(path);
  let reader: CaptureReader;
  try {
    reader = await CaptureReader.open(file, path);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const out = await Deno.open(copy, { write: true, create: true, truncate: true });
  try {
    const writer = new PcapWriter(out, { linkType: LINKTYPE_ETHERNET });
    let changed = false;
    for (let batch = await reader.next(); batch !== null; batch = await reader.next()) {
      for (let i = 0; i < batch.count; i++) {
        if (batch.linkType[i] !== LINKTYPE_ETHERNET) return `link type ${batch.linkType[i]}`;
        const caplen = Math.min(batch.caplen[i]!, SLOT_PAYLOAD_MAX);
        const wirelen = Math.min(batch.wirelen[i]!, LENGTH_WIRE_MAX);
        if (caplen !== batch.caplen[i] || wirelen !== batch.wirelen[i]) changed = true;
        if (caplen === 0) {
          // An empty slot is no packet to a consumer (fmadio2pcap too): produce skips and counts these.
          changed = true;
          continue;
        }
        if (writer.room < caplen + 16) await writer.flush();
        writer.append(
          batch.bytes,
          batch.offset[i]!,
          caplen,
          wirelen,
          batch.sec[i]!,
          batch.nsec[i]!,
        );
      }
    }
    await writer.flush();
    if (reader.truncation !== undefined) return "truncated";
    return changed ? "copied" : "unchanged";
  } finally {
    out.close();
  }
}

Deno.test("corpus: produce | consume of the whole corpus prints the same tcpdump lines as the inputs", async () => {
  await withTempDir(async (dir) => {
    const names = [...Deno.readDirSync(CORPUS)].map((e) => e.name).filter((n) =>
      /\.pcap(ng)?$/.test(n)
    ).sort();
    const files: string[] = [];
    const expected: string[] = [];
    let copied = 0;
    for (const [i, name] of names.entries()) {
      const path = new URL(name, CORPUS).pathname;
      const copy = `${dir}/expected-${i}.pcap`;
      const view = await ringView(path, copy);
      if (view === "unchanged" || view === "copied") {
        files.push(path);
        expected.push(...await tcpdumpLines(view === "unchanged" ? path : copy));
        if (view === "copied") copied++;
      } else {
        // Only inputs fmagent refuses by design may be left out.
        assert(/link type|truncated|Cannot read/.test(view), `${name}: ${view}`);
      }
    }
    assert(files.length >= 200, `expected most of the corpus to be usable, got ${files.length}`);
    assert(copied > 0 && expected.length > 2000, `${copied} cut copies, ${expected.length} lines`);
    const ring = `${dir}/ring`;
    const output = `${dir}/out.pcap`;
    const producer = spawnFmagent(["produce", "-i", ring, ...files]);
    await waitForRing(ring);
    const consumer = spawnFmagent(["consume", "-i", ring, "-w", output]);
    const [produced, consumed] = await Promise.all([producer.output(), consumer.output()]);
    assertEquals(produced.code, 0, new TextDecoder().decode(produced.stderr));
    assertEquals(consumed.code, 0, new TextDecoder().decode(consumed.stderr));
    const actual = await tcpdumpLines(output);
    assertEquals(actual.length, expected.length);
    assertEquals(actual, expected);
  });
});

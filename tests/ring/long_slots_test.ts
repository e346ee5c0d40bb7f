/**
 * Slots longer than 10,240 bytes from a C producer that, like pcap2fmadio,
 * keeps each packet's caplen (ring_peer --long-slots): fmagent consume
 * writes what the slot holds, up to its 12,264 bytes, and says how many
 * slots claimed more.
 */
import { assertEquals } from "../support/assert.ts";
import { buildRingPeer, records, runFmagent, runPeer, samplePcap, withTempDir } from "./support.ts";

const SIZES = [12_000, 20_000, 60];
const PACKETS = SIZES.map((size, n) => ({
  data: Uint8Array.from({ length: size }, (_, k) => (n * 101 + k * 7 + (k >> 8)) & 0xff),
  sec: 1_700_000_000,
  nsec: n * 1000,
}));
const INPUT = samplePcap(PACKETS);
/** The input with the 20,000-byte packet cut to a slot's 12,264 bytes (its wire length kept). */
const EXPECTED = samplePcap(
  PACKETS.map((p) => ({ ...p, data: p.data.subarray(0, 12_264), wirelen: p.data.length })),
);

for (const flowControl of [true, false]) {
  Deno.test(`long slots ${flowControl ? "with" : "without"} flow control: C producer → fmagent consume keeps 12,000 bytes, cuts 20,000 to 12,264 and says so`, async () => {
    await withTempDir(async (dir) => {
      const peer = await buildRingPeer(dir);
      const ring = `${dir}/ring`;
      const input = `${dir}/in.pcap`;
      const output = `${dir}/out.pcap`;
      await Deno.writeFile(input, INPUT);
      const flags = flowControl ? ["--long-slots"] : ["--long-slots", "--no-flow"];
      const produced = await runPeer(peer, ["produce", ring, ...flags, input]);
      assertEquals(produced.code, 0, produced.stderr);
      const consumed = await runFmagent(["consume", "-i", ring, "-w", output]);
      assertEquals(consumed.code, 0, consumed.stderr);
      assertEquals(
        consumed.stderr.trim(),
        `fmagent: consume: 3 packets, ${12_000 + 12_264 + 60} bytes, 0 FCS errors, ` +
          "1 slots claiming over 12264 bytes cut to 12264, end of stream",
      );
      assertEquals(records(await Deno.readFile(output)), records(EXPECTED));
    });
  });
}

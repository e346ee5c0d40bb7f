/**
 * produce --follow on a capture that is still being written: packets appended
 * later (a record split across two writes included) reach the consumer, and
 * SIGINT ends the stream cleanly with the end-of-stream slot.
 */
import { assertEquals, assertMatch } from "../support/assert.ts";
import {
  records,
  runFmagent,
  samplePackets,
  samplePcap,
  sleep,
  spawnFmagent,
  waitForRing,
  withTempDir,
} from "./support.ts";
import { Ring } from "../../src/ring/ring.ts";

function put(path: string): number {
  const ring = Ring.open(path, { writable: false });
  try {
    return ring.loadPut();
  } finally {
    ring.close();
  }
}

Deno.test("follow: packets appended to a growing capture are produced; SIGINT sends the end of stream", async () => {
  await withTempDir(async (dir) => {
    const ring = `${dir}/ring`;
    const live = `${dir}/live.pcap`;
    const pcap = samplePcap(samplePackets(30));
    // samplePackets sizes cycle 60, 1514, 128, 900: the capture starts as just
    // its file header, as a capture that was just started; then 3 records come.
    const written = 24 + 3 * 16 + 60 + 1514 + 128;
    const cut = written + 16 + 450; // inside the 4th record (900 bytes)
    await Deno.writeFile(live, pcap.subarray(0, 24));
    const producer = spawnFmagent(["produce", "-i", ring, "--follow", live]);
    await waitForRing(ring);
    await sleep(100);
    const start = await Deno.open(live, { append: true });
    await start.write(pcap.subarray(24, written));
    start.close();
    const deadline = performance.now() + 10_000;
    while (put(ring) < 3 && performance.now() < deadline) await sleep(10);
    assertEquals(put(ring), 3);
    // Append up to the middle of a record: only whole records may be produced.
    const file = await Deno.open(live, { append: true });
    await file.write(pcap.subarray(written, cut));
    await sleep(300);
    assertEquals(put(ring), 3, "the cut record waits for its rest");
    await file.write(pcap.subarray(cut));
    file.close();
    while (put(ring) < 30 && performance.now() < deadline) await sleep(10);
    assertEquals(put(ring), 30);
    producer.kill("SIGINT");
    const produced = await producer.output();
    assertEquals(produced.code, 0);
    assertMatch(
      new TextDecoder().decode(produced.stderr),
      /produce: 30 packets, .*end of stream sent, interrupted/,
    );
    const consumed = await runFmagent(["consume", "-i", ring, "-w", `${dir}/out.pcap`]);
    assertMatch(consumed.stderr, /consume: 30 packets, .*end of stream/);
    assertEquals(records(await Deno.readFile(`${dir}/out.pcap`)), records(pcap));
  });
});

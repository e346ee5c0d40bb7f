/**
 * fmagent against a C ring peer written from fmadio_packet.h: both
 * directions, more packets than the ring holds (flow control), byte-identical
 * records, the end-of-stream slot honoured, and the header each side writes
 * read the same by the other.
 */
import { assert, assertEquals } from "../support/assert.ts";
import {
  buildRingPeer,
  records,
  runFmagent,
  runPeer,
  samplePackets,
  samplePcap,
  spawnFmagent,
  waitForRing,
  withTempDir,
} from "./support.ts";

// 2,500 packets: more than twice the ring's 1,024 slots, so both sides wait on each other.
const PACKETS = samplePackets(2500);
const INPUT = samplePcap(PACKETS);

Deno.test("interop: fmagent produce → C consumer gives byte-identical records and ends on end of stream", async () => {
  await withTempDir(async (dir) => {
    const peer = await buildRingPeer(dir);
    const ring = `${dir}/ring`;
    const input = `${dir}/in.pcap`;
    const output = `${dir}/out.pcap`;
    await Deno.writeFile(input, INPUT);
    const producer = spawnFmagent(["produce", "-i", ring, input]);
    await waitForRing(ring); // fmagent creates and initialises it first thing
    const consumer = await runPeer(peer, ["consume", ring, output]);
    const produced = await producer.output();
    assertEquals(produced.code, 0, new TextDecoder().decode(produced.stderr));
    assertEquals(consumer.code, 0, consumer.stderr);
    assertEquals(
      consumer.stderr.trim(),
      `ring_peer consume: 2500 packets ${sumCaplen()} bytes 0 fcs`,
    );
    assertEquals(records(await Deno.readFile(output)), records(INPUT));
  });
});

Deno.test("interop: C producer → fmagent consume gives byte-identical records and ends on end of stream", async () => {
  await withTempDir(async (dir) => {
    const peer = await buildRingPeer(dir);
    const ring = `${dir}/ring`;
    const input = `${dir}/in.pcap`;
    const output = `${dir}/out.pcap`;
    await Deno.writeFile(input, INPUT);
    // The C producer creates and initialises the ring, then blocks at 1,023 packets.
    const producer = new Deno.Command(peer, { args: ["produce", ring, input], stderr: "piped" })
      .spawn();
    await waitForRing(ring);
    const consumed = await runFmagent(["consume", "-i", ring, "-w", output]);
    const produced = await producer.output();
    assertEquals(produced.code, 0);
    assertEquals(consumed.code, 0, consumed.stderr);
    assertEquals(
      consumed.stderr.trim(),
      `fmagent: consume: 2500 packets, ${sumCaplen()} bytes, 0 FCS errors, end of stream`,
    );
    assertEquals(records(await Deno.readFile(output)), records(INPUT));
  });
});

Deno.test("interop: the C peer reads the header and counters fmagent wrote, and fmagent stat reads the C peer's", async () => {
  await withTempDir(async (dir) => {
    const peer = await buildRingPeer(dir);
    const input = `${dir}/in.pcap`;
    await Deno.writeFile(input, samplePcap(PACKETS.slice(0, 10)));
    // fmagent creates the ring and queues 10 packets + end of stream; C reads its header.
    const ours = `${dir}/ours`;
    assertEquals((await runFmagent(["produce", "-i", ours, input])).code, 0);
    const cView = JSON.parse(
      new TextDecoder().decode((await runPeer(peer, ["stat", ours])).stdout),
    );
    const bytes = PACKETS.slice(0, 10).reduce((n, p) => n + p.data.length, 0);
    const lastTs = BigInt(PACKETS[9]!.sec) * 1_000_000_000n + BigInt(PACKETS[9]!.nsec);
    assertEquals(cView, {
      version: 256,
      size: 12595200,
      sizePacket: 12288,
      path: ours,
      depth: 1024,
      mask: 1023,
      flowControl: 1,
      txTimeout: 30000000000,
      pendingB: 0,
      put: 11,
      putByte: bytes,
      putPktTS: String(lastTs),
      get: 0,
      getByte: 0,
      getPktTS: "0",
    });
    // The C peer creates a ring and consumes; fmagent stat --json sees the same counters.
    const theirs = `${dir}/theirs`;
    assertEquals((await runPeer(peer, ["produce", theirs, input])).code, 0);
    assertEquals((await runPeer(peer, ["consume", theirs, `${dir}/out.pcap`])).code, 0);
    const stat = await runFmagent(["stat", "-i", theirs, "--json"]);
    assertEquals(stat.code, 0, stat.stderr);
    const ourView = JSON.parse(new TextDecoder().decode(stat.stdout));
    assertEquals(ourView.version, 256);
    assertEquals([ourView.put, ourView.get, ourView.putByte, ourView.getByte], [
      11,
      11,
      bytes,
      bytes,
    ]);
    assertEquals([ourView.putPktTS, ourView.getPktTS], [String(lastTs), String(lastTs)]);
    assert(ourView.flowControl === true && ourView.depth === 1024);
  });
});

function sumCaplen(): number {
  return PACKETS.reduce((n, p) => n + p.data.length, 0);
}

import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { CaptureReader } from "./capture_reader.ts";
import { CaptureError } from "./capture_error.ts";
import { copyPacket, type Packet } from "./packet_batch.ts";
import { PcapWriter } from "./pcap_writer.ts";
import { MemoryReader, MemoryWriter } from "../../tests/support/memory_io.ts";
import {
  buildPcap,
  buildPcapng,
  type CapturedPacket,
  ethernet,
  udp4,
} from "../../tests/support/packet_builder.ts";

function samplePackets(count: number): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(i * 37 % 300).map((_, k) => (k * 7 + i) & 0xff);
    const data = ethernet(
      "02:00:00:00:00:02",
      "02:00:00:00:00:01",
      0x0800,
      udp4("10.0.0.1", "10.0.0.2", 1000 + i, 53, payload),
    );
    packets.push({
      data,
      sec: 1_700_000_000 + i,
      nsec: (i * 7919 * 1000) % 1_000_000_000,
      wirelen: data.length + (i % 3),
    });
  }
  return packets;
}

async function readAll(bytes: Uint8Array, chunk = Number.MAX_SAFE_INTEGER, bufferSize?: number) {
  const reader = await CaptureReader.open(
    new MemoryReader(bytes, chunk),
    "test.cap",
    bufferSize ? { bufferSize, batchSize: 7 } : {},
  );
  const packets: Packet[] = [];
  for (let b = await reader.next(); b !== null; b = await reader.next()) {
    for (let i = 0; i < b.count; i++) packets.push(copyPacket(b, i));
  }
  return { reader, packets };
}

function assertSamePackets(
  actual: readonly Packet[],
  expected: readonly CapturedPacket[],
  precisionNs = 1,
) {
  assertEquals(actual.length, expected.length);
  actual.forEach((p, i) => {
    const e = expected[i]!;
    assertEquals(p.data, e.data, `packet ${i} bytes`);
    assertEquals(p.wirelen, e.wirelen ?? e.data.length, `packet ${i} wirelen`);
    assertEquals(p.sec, e.sec, `packet ${i} sec`);
    assertEquals(p.nsec, Math.floor(e.nsec / precisionNs) * precisionNs, `packet ${i} nsec`);
  });
}

for (const nanosecond of [false, true]) {
  for (const bigEndian of [false, true]) {
    Deno.test(`pcap ${nanosecond ? "ns" : "µs"} ${bigEndian ? "big" : "little"}-endian reads back exactly`, async () => {
      const packets = samplePackets(40);
      const file = buildPcap(packets, { nanosecond, bigEndian });
      for (const chunk of [Number.MAX_SAFE_INTEGER, 1, 13, 4096]) {
        const { reader, packets: got } = await readAll(file, chunk);
        assertEquals(reader.format, "pcap");
        assertEquals(reader.linkType, 1);
        assertEquals(reader.truncation, undefined);
        assertSamePackets(got, packets, nanosecond ? 1 : 1000);
      }
    });
  }
}

for (const bigEndian of [false, true]) {
  Deno.test(`pcapng ${bigEndian ? "big" : "little"}-endian: resolutions, offsets, simple and unknown blocks`, async () => {
    const packets = samplePackets(12);
    const file = buildPcapng([{
      bigEndian,
      interfaces: [{}, { tsresol: 9 }, { tsresol: 0x80 | 30 }, { tsresol: 3, tsoffset: 100 }],
      unknownBlock: true,
      packets: packets.map((p, i) => ({ ...p, iface: i % 4 })),
    }]);
    const { reader, packets: got } = await readAll(file, 5);
    assertEquals(reader.format, "pcapng");
    got.forEach((p, i) => {
      const e = packets[i]!;
      assertEquals(p.data, e.data);
      assertEquals(p.sec, e.sec);
      // µs, ns, 2^-30 s and ms resolutions keep what their unit can hold.
      const unitNs = [1000, 1, 0, 1_000_000][i % 4]!;
      if (unitNs > 0) assertEquals(p.nsec, Math.floor(e.nsec / unitNs) * unitNs);
      else {ok(
          Math.abs(p.nsec - e.nsec) <= 1,
          `2^-30 resolution packet ${i}: ${p.nsec} vs ${e.nsec}`,
        );}
    });
  });
}

Deno.test("pcapng: several sections with different byte orders and interface lists", async () => {
  const a = samplePackets(3);
  const b = samplePackets(5);
  const file = buildPcapng([
    { packets: a, interfaces: [{ tsresol: 9 }] },
    { bigEndian: true, packets: b, interfaces: [{ linkType: 1 }] },
  ]);
  const { packets } = await readAll(file);
  assertSamePackets(packets.slice(0, 3), a);
  assertSamePackets(packets.slice(3), b, 1000);
});

Deno.test("pcapng: simple packet blocks take interface 0's link type, no timestamp", async () => {
  const [p] = samplePackets(2).slice(1);
  // Without a caplen field, the length on the wire decides how much of the (padded) body is data.
  const file = buildPcapng([{ packets: [{ ...p!, wirelen: p!.data.length, simple: true }] }]);
  const { packets } = await readAll(file);
  assertEquals(packets.length, 1);
  assertEquals(packets[0]!.data, p!.data);
  assertEquals(packets[0]!.sec, 0);
});

Deno.test("a record larger than the refill buffer grows it", async () => {
  const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
  const file = buildPcap([{ data: big, sec: 1, nsec: 0 }, {
    data: big.subarray(0, 10),
    sec: 2,
    nsec: 0,
  }]);
  const { packets } = await readAll(file, 65536, 1024);
  assertEquals(packets.length, 2);
  assertEquals(packets[0]!.data, big);
});

Deno.test("a lent buffer inside a larger ArrayBuffer is used in place, and outgrown when too small", async () => {
  const packets = samplePackets(40);
  const file = buildPcap(packets);
  // 256 bytes: records of up to 360 bytes outgrow it.
  for (const size of [4096, 256]) {
    // The lent buffer starts 1000 bytes into its ArrayBuffer, as the producer's
    // scratch starts after the ring; guard bytes around it must stay untouched.
    const whole = new Uint8Array(1000 + size + 1000).fill(0x5a);
    const lent = whole.subarray(1000, 1000 + size);
    const reader = await CaptureReader.open(new MemoryReader(file, 700), "lent.cap", {
      buffer: lent,
      batchSize: 5,
    });
    const read: Packet[] = [];
    let inLent = 0;
    let elsewhere = 0;
    for (let b = await reader.next(); b !== null; b = await reader.next()) {
      if (b.bytes === lent) inLent++;
      else elsewhere++;
      for (let i = 0; i < b.count; i++) read.push(copyPacket(b, i));
    }
    assertSamePackets(read, packets);
    ok(inLent > 0, `size ${size}: batches point into the lent buffer`);
    assertEquals(elsewhere > 0, size === 256, `size ${size}: batches in a grown buffer`);
    ok(whole.subarray(0, 1000).every((x) => x === 0x5a), "bytes before it untouched");
    ok(whole.subarray(1000 + size).every((x) => x === 0x5a), "bytes after it untouched");
  }
});

Deno.test("writing then reading gives the same packets to the nanosecond", async () => {
  const packets = samplePackets(50);
  const sink = new MemoryWriter();
  const writer = new PcapWriter(sink, { linkType: 1 });
  for (const p of packets) {
    writer.append(p.data, 0, p.data.length, p.wirelen ?? p.data.length, p.sec, p.nsec);
  }
  await writer.flush();
  const bytes = sink.bytes();
  assertEquals(new DataView(bytes.buffer).getUint32(0, true), 0xa1b23c4d);
  const { packets: got } = await readAll(bytes);
  assertSamePackets(got, packets);
});

Deno.test("micro precision output and snaplen cut", async () => {
  const packets = samplePackets(5);
  const sink = new MemoryWriter();
  const writer = new PcapWriter(sink, { linkType: 1, precision: "micro", snaplen: 50 });
  for (const p of packets) writer.append(p.data, 0, p.data.length, p.data.length, p.sec, p.nsec);
  await writer.flush();
  const { packets: got } = await readAll(sink.bytes());
  got.forEach((p, i) => {
    assertEquals(p.data, packets[i]!.data.subarray(0, 50));
    assertEquals(p.wirelen, packets[i]!.data.length);
    assertEquals(p.nsec, Math.floor(packets[i]!.nsec / 1000) * 1000);
  });
});

Deno.test("every truncation of a small file stops cleanly or errors, never hangs", async () => {
  const files = [
    buildPcap(samplePackets(4)),
    buildPcapng([{ packets: samplePackets(4), interfaces: [{ tsresol: 9 }] }]),
  ];
  for (const file of files) {
    for (let cut = 0; cut < file.length; cut++) {
      const bytes = file.slice(0, cut);
      try {
        const { reader, packets } = await readAll(bytes, 3);
        ok(packets.length <= 4);
        // A cut inside a record is reported; a cut between records is a clean end.
        if (reader.truncation === undefined) ok(packets.length <= 4);
      } catch (error) {
        ok(error instanceof CaptureError, `cut ${cut}: ${error}`);
      }
    }
  }
});

Deno.test("bad input errors name the file and byte offset", async () => {
  await rejects(
    readAll(new Uint8Array(0)),
    /Cannot read test.cap: not a pcap or pcapng file \(empty file\)/,
  );
  await rejects(
    readAll(new TextEncoder().encode("hello world")),
    /not a pcap or pcapng file \(magic 0x68656c6c\)/,
  );
  await rejects(readAll(buildPcap([]).slice(0, 10)), /truncated pcap file header/);
  const corrupt = buildPcap(samplePackets(3));
  new DataView(corrupt.buffer).setUint32(24 + 8, 300_000, true);
  await rejects(
    readAll(corrupt),
    /Cannot read test.cap: corrupt record: caplen 300000 larger than 262144 at byte 24/,
  );
  const ng = buildPcapng([{ packets: samplePackets(2) }]);
  new DataView(ng.buffer).setUint32(4, 30, true);
  await rejects(readAll(ng), /not a multiple of 4 at byte 0/);
});

Deno.test("a truncated last record is reported after the packets before it", async () => {
  const file = buildPcap(samplePackets(3));
  const { reader, packets } = await readAll(file.slice(0, file.length - 5));
  assertEquals(packets.length, 2);
  ok(reader.truncation?.startsWith("truncated record at byte "), reader.truncation);
});

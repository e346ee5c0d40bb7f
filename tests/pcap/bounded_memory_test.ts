/**
 * A capture far larger than memory budgets streams through the reader and
 * writer in bounded memory: 1 GiB of pcap is synthesised on the fly (never
 * held whole) and copied; resident memory must not grow with it.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { CaptureReader } from "../../src/pcap/capture_reader.ts";
import { PcapWriter } from "../../src/pcap/pcap_writer.ts";
import type { ByteReader, ByteWriter } from "../../src/cli/io.ts";
import { buildPcap, ethernet, udp4 } from "../support/packet_builder.ts";

const GIB = 1024 * 1024 * 1024;

/** Serves a pcap header, then the same record over and over until `total` bytes. */
function endlessCapture(total: number): { source: ByteReader; records: number } {
  const record = buildPcap([{
    data: ethernet(
      "02:00:00:00:00:02",
      "02:00:00:00:00:01",
      0x0800,
      udp4("10.0.0.1", "10.0.0.2", 9, 9, new Uint8Array(1400)),
    ),
    sec: 1,
    nsec: 0,
  }]).subarray(24);
  const header = buildPcap([]);
  const records = Math.floor((total - header.length) / record.length);
  const stream = new Uint8Array(record.length * 64);
  for (let i = 0; i < 64; i++) stream.set(record, i * record.length);
  let headerSent = false;
  let left = records * record.length;
  let phase = 0;
  return {
    records,
    source: {
      read(into) {
        if (!headerSent) {
          into.set(header);
          headerSent = true;
          return Promise.resolve(header.length);
        }
        if (left === 0) return Promise.resolve(null);
        const n = Math.min(into.length, left, stream.length - phase);
        into.set(stream.subarray(phase, phase + n));
        phase = (phase + n) % stream.length;
        left -= n;
        return Promise.resolve(n);
      },
    },
  };
}

Deno.test("1 GiB streams through reader and writer without growing memory", async () => {
  const { source, records } = endlessCapture(GIB);
  let written = 0;
  const sink: ByteWriter = { write: (b) => Promise.resolve((written += b.length, b.length)) };
  const reader = await CaptureReader.open(source, "stream");
  const writer = new PcapWriter(sink, { linkType: reader.linkType });
  const before = Deno.memoryUsage().rss;
  let peak = before;
  let packets = 0;
  for (let batch = await reader.next(); batch !== null; batch = await reader.next()) {
    for (let i = 0; i < batch.count; i++) await writer.appendFromBatch(batch, i);
    packets += batch.count;
    if ((packets & 0xffff) < batch.count) peak = Math.max(peak, Deno.memoryUsage().rss);
  }
  await writer.flush();
  assertEquals(packets, records);
  ok(written > GIB * 0.99, `wrote ${written}`);
  const growth = peak - before;
  ok(growth < 48 * 1024 * 1024, `resident memory grew by ${(growth / 1048576).toFixed(1)} MiB`);
});

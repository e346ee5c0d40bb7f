import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { ByteWriter } from "../cli/io.ts";
import { PcapWriter } from "./pcap_writer.ts";
import { writesSynchronously } from "./sync_io.ts";
import { PCAP_FILE_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH } from "./pcap_format.ts";

interface Rec {
  readonly sec: number;
  readonly fraction: number;
  readonly data: Uint8Array;
}

function records(count: number, size: (i: number) => number): Rec[] {
  return Array.from({ length: count }, (_, i) => ({
    sec: 1_700_000_000 + i,
    fraction: (i * 7919) % 1_000_000,
    data: Uint8Array.from({ length: size(i) }, (_, k) => (i * 31 + k) & 0xff),
  }));
}

/** Little-endian pcap records back to back, with the fractions as given. */
function encode(recs: readonly Rec[], scale = 1): Uint8Array {
  const total = recs.reduce((n, r) => n + PCAP_RECORD_HEADER_LENGTH + r.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const r of recs) {
    view.setUint32(at, r.sec, true);
    view.setUint32(at + 4, r.fraction * scale, true);
    view.setUint32(at + 8, r.data.length, true);
    view.setUint32(at + 12, r.data.length + 4, true);
    out.set(r.data, at + PCAP_RECORD_HEADER_LENGTH);
    at += PCAP_RECORD_HEADER_LENGTH + r.data.length;
  }
  return out;
}

/** A sink that keeps what it is given, through `write` or (when `sync`) the sync write. */
function collectingSink(sync = false) {
  const chunks: Uint8Array[] = [];
  let asyncWrites = 0;
  const sink: ByteWriter = {
    write(bytes) {
      asyncWrites++;
      chunks.push(bytes.slice());
      return Promise.resolve(bytes.length);
    },
  };
  // Takes at most 1000 bytes a call, so partial writes are exercised.
  const writeSync = (bytes: Uint8Array) => {
    const n = Math.min(bytes.length, 1000);
    chunks.push(bytes.slice(0, n));
    return n;
  };
  if (sync) writesSynchronously(sink, writeSync);
  const written = () => {
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    return all.subarray(PCAP_FILE_HEADER_LENGTH);
  };
  return { sink, written, asyncWrites: () => asyncWrites };
}

Deno.test("writeRecords copies a short run, converting microseconds to nanoseconds in the copy", async () => {
  const recs = records(5, (i) => 40 + 100 * i);
  const input = encode(recs);
  const before = input.slice();
  const { sink, written } = collectingSink();
  const writer = new PcapWriter(sink, { linkType: 1 });
  // Records 1..3 as one run; record 0 appended singly first.
  writer.append(input, PCAP_RECORD_HEADER_LENGTH, 40, 44, recs[0]!.sec, recs[0]!.fraction * 1000);
  const start = PCAP_RECORD_HEADER_LENGTH + 40;
  const end = input.length - PCAP_RECORD_HEADER_LENGTH - recs[4]!.data.length;
  await writer.writeRecords(input, start, end, 3, false);
  await writer.flush();
  assertEquals(input, before);
  assertEquals(written(), encode(recs.slice(0, 4), 1000));
  assertEquals(writer.packets, 4);
  assertEquals(writer.bytes, 40 + 140 + 240 + 340);
});

Deno.test("writeRecords sends a large run straight to the sink, after what was buffered", async () => {
  const recs = records(400, (i) => 600 + (i % 7) * 100);
  const input = encode(recs, 1000);
  const { sink, written, asyncWrites } = collectingSink(true);
  const writer = new PcapWriter(sink, { linkType: 1 });
  const first = PCAP_RECORD_HEADER_LENGTH + recs[0]!.data.length;
  await writer.writeRecords(input, 0, first, 1, true);
  await writer.writeRecords(input, first, input.length, recs.length - 1, true);
  await writer.flush();
  assertEquals(written(), input);
  assertEquals(asyncWrites(), 0);
  assertEquals(writer.packets, recs.length);
});

Deno.test("writeRecords converts nanosecond input for microsecond output", async () => {
  const recs = records(3, () => 64);
  const { sink, written } = collectingSink();
  const writer = new PcapWriter(sink, { linkType: 1, precision: "micro" });
  const input = encode(recs, 1000);
  await writer.writeRecords(input, 0, input.length, 3, true);
  await writer.flush();
  assertEquals(written(), encode(recs));
});

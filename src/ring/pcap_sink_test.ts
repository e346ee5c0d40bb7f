import { assertEquals } from "../../tests/support/assert.ts";
import { MemoryWriter } from "../../tests/support/memory_io.ts";
import { newPacketBatch } from "../pcap/packet_batch.ts";
import { pcapSink } from "./pcap_sink.ts";

/** The pcap records a correct sink writes for the batch's packets (after the 24-byte file header). */
function expectedRecords(
  source: Uint8Array,
  packets: readonly { offset: number; length: number }[],
  snaplen: number,
): Uint8Array {
  const parts: number[] = [];
  packets.forEach(({ offset, length }, i) => {
    const kept = Math.min(length, snaplen);
    const header = new DataView(new ArrayBuffer(16));
    header.setUint32(0, 1_700_000_000 + i, true);
    header.setUint32(4, 999_999_999 - i, true);
    header.setUint32(8, kept, true);
    header.setUint32(12, length + 4, true);
    parts.push(...new Uint8Array(header.buffer), ...source.subarray(offset, offset + kept));
  });
  return Uint8Array.from(parts);
}

/** Byte equality without a slow deep diff: reports the first differing offset. */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, message: string): void {
  assertEquals(actual.length, expected.length, `${message}: length`);
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  assertEquals(at, actual.length, `${message}: first difference at byte ${at}`);
}

async function written(
  source: Uint8Array,
  packets: readonly { offset: number; length: number }[],
  options: { snaplen?: number; bufferSize?: number },
): Promise<Uint8Array> {
  const out = new MemoryWriter();
  const sink = pcapSink(out, options);
  const batch = newPacketBatch(packets.length, source);
  packets.forEach(({ offset, length }, i) => {
    batch.offset[i] = offset;
    batch.caplen[i] = length;
    batch.wirelen[i] = length + 4;
    batch.sec[i] = 1_700_000_000 + i;
    batch.nsec[i] = 999_999_999 - i;
  });
  batch.count = packets.length;
  await sink.write(batch);
  await sink.flush();
  return out.bytes().subarray(24);
}

Deno.test("pcapSink writes every length exactly, from word-aligned and unaligned sources", async () => {
  const backing = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 131 + 17) & 0xff);
  // A source starting on a word boundary (like ring memory) and one that does not.
  for (const source of [backing.subarray(8), backing.subarray(3)]) {
    const packets: { offset: number; length: number }[] = [];
    let offset = 0;
    for (let length = 1; length <= 300; length++) {
      packets.push({ offset, length });
      offset += length + (length % 5); // every alignment of the packet start
    }
    packets.push({ offset: 24, length: 10_240 }, { offset: 26, length: 10_240 });
    assertEquals(await written(source, packets, {}), expectedRecords(source, packets, 262144));
    assertEquals(
      await written(source, packets, { snaplen: 100 }),
      expectedRecords(source, packets, 100),
    );
  }
});

Deno.test("pcapSink flushes a full buffer and goes on with the rest of the batch", async () => {
  const source = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7) & 0xff);
  const packets = Array.from({ length: 200 }, (_, i) => ({ offset: i * 4096, length: 1500 + i }));
  const bytes = await written(source, packets, { bufferSize: 64 * 1024 });
  assertSameBytes(bytes, expectedRecords(source, packets, 262144), "64 KiB buffer");
});

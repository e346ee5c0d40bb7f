/**
 * The library API (produceToRing, consumeFromRing) in one process: status
 * lines, PendingB, and the consumer freeing slots only after its sink flushed.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { records, recordSpans, samplePackets, samplePcap, sleep, withTempDir } from "./support.ts";
import { MemoryReader, MemoryWriter } from "../support/memory_io.ts";
import { CaptureReader } from "../../src/pcap/capture_reader.ts";
import type { PacketBatch } from "../../src/pcap/packet_batch.ts";
import { type CaptureSource, produceToRing } from "../../src/ring/producer.ts";
import { consumeFromRing, type RingPacketSink } from "../../src/ring/consumer.ts";
import { pcapSink } from "../../src/ring/pcap_sink.ts";
import { Ring } from "../../src/ring/ring.ts";
import { FLAG_EOF, SLOT } from "../../src/ring/layout.ts";

function memorySource(name: string, bytes: Uint8Array): CaptureSource {
  return {
    name,
    size: bytes.length,
    open: async () => ({
      reader: await CaptureReader.open(new MemoryReader(bytes, 65536), name),
      close() {},
    }),
  };
}

/** A pcap sink that is slow to flush, and checks that no slot is freed before its flush. */
function slowSink(ring: string, out: MemoryWriter, flushed: { packets: number }): RingPacketSink {
  const inner = pcapSink(out);
  let written = 0;
  return {
    write(batch: PacketBatch) {
      written += batch.count;
      return inner.write(batch);
    },
    async flush() {
      // Get (counted from 0 in a fresh ring) never passes what was flushed before
      // (the end-of-stream slot aside, which carries no packet).
      const view = Ring.open(ring, { writable: false });
      try {
        const get = view.loadGet();
        const endOfStream = get === 6001 && flushed.packets === 6000;
        assert(get <= flushed.packets || endOfStream, `Get ${get} > flushed ${flushed.packets}`);
      } finally {
        view.close();
      }
      await sleep(5);
      await inner.flush();
      flushed.packets = written;
    },
  };
}

Deno.test("library: status lines and PendingB while a slow consumer holds the producer back", async () => {
  await withTempDir(async (dir) => {
    const ring = `${dir}/ring`;
    const packets = samplePackets(6000, [200, 1400]);
    const input = samplePcap(packets);
    // Create the ring first so the consumer can open it.
    await produceToRing(ring, [], { eofOnly: true, endOfStream: false });
    const produceLines: string[] = [];
    const consumeLines: string[] = [];
    const pending: number[] = [];
    const out = new MemoryWriter();
    const [produced, consumed] = await Promise.all([
      produceToRing(ring, [
        memorySource("a.pcap", input.subarray(0, 24)),
        memorySource("b.pcap", input),
      ], {
        statusIntervalMs: 20,
        onStatus: (line) => {
          produceLines.push(line);
          const view = Ring.open(ring, { writable: false });
          pending.push(view.header().pendingBytes);
          view.close();
        },
      }),
      consumeFromRing(ring, slowSink(ring, out, { packets: 0 }), {
        statusIntervalMs: 20,
        onStatus: (line) => void consumeLines.push(line),
      }),
    ]);
    assertEquals([produced.packets, consumed.packets, consumed.endOfStream], [6000, 6000, true]);
    assertEquals(records(out.bytes()), records(input));
    assert(
      produceLines.length >= 2 && consumeLines.length >= 2,
      `${produceLines.length}/${consumeLines.length}`,
    );
    assertMatch(
      produceLines[0]!,
      /^\[\d\d:\d\d:\d\d\] produce: in b\.pcap @ \d+\.\d MB \| last 2023-11-14T22:13:20\.\d{9}Z \| pending \d+\.\d MB \| \d+\.\d{3} Gbps \d+\.\d{3} Mpps \| consumer lag \d+ pkts$/,
    );
    assertMatch(
      consumeLines[0]!,
      /^\[\d\d:\d\d:\d\d\] consume: \d+ pkts \| \d+\.\d{3} Gbps \d+\.\d{3} Mpps \| lag \d+ pkts \| last (-|2023-11-14T22:13:20\.\d{9}Z)$/,
    );
    assert(pending.some((p) => p > 0 && p < input.length + 24), `PendingB seen: ${pending}`);
    const final = Ring.open(ring, { writable: false });
    assertEquals(final.header().pendingBytes, 0, "PendingB is 0 once everything was sent");
    final.close();
  });
});

Deno.test("library: a producer without flow control that laps the consumer costs packets, counted and announced", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ring`;
    const { ring } = Ring.openForProducer(path);
    // Slots hold packets 976..1999 (packet n in slot n % 1024); Put says 2000, Get 0.
    for (let n = 976; n < 2000; n++) {
      const slot = ring.slotStart(n);
      ring.view.setUint32(slot, n, true); // TS low word: the packet's number
      ring.view.setUint16(slot + 8, 60, true);
      ring.view.setUint16(slot + 10, 60, true);
      ring.view.setUint8(slot + 13, 0);
    }
    ring.publishPut(2000, 0, 0, 0);
    ring.close();
    const notices: string[] = [];
    const firstNs: number[] = [];
    const stop = new AbortController();
    const sink: RingPacketSink = {
      write(batch) {
        for (let i = 0; i < batch.count; i++) firstNs.push(batch.nsec[i]!);
        if (firstNs.length >= 512) stop.abort();
      },
      flush: () => Promise.resolve(),
    };
    const summary = await consumeFromRing(path, sink, {
      signal: stop.signal,
      onNotice: (m) => notices.push(m),
    });
    assertEquals([summary.lost, summary.packets], [1488, 512]);
    assertEquals([firstNs[0], firstNs[511]], [1488, 1999]);
    assertEquals(notices, [
      "warning: the producer overran the ring (no flow control?): 1488 packets lost",
    ]);
  });
});

Deno.test("library: packets taken from a ring that goes idle are flushed at once (live use)", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ring`;
    await produceToRing(path, [], { eofOnly: true, endOfStream: false });
    const stop = new AbortController();
    let wroteAt = 0;
    let pending = 0;
    const delays: number[] = [];
    const sink: RingPacketSink = {
      write(batch) {
        if (pending === 0) wroteAt = performance.now();
        pending += batch.count;
      },
      flush() {
        if (pending > 0) delays.push(performance.now() - wroteAt);
        pending = 0;
        return Promise.resolve();
      },
    };
    const consuming = consumeFromRing(path, sink, { signal: stop.signal });
    // Three bursts into an idle consumer; a loaded machine may deschedule us
    // once, so the best of three must be within 10 ms (all within 100).
    for (let burst = 1; burst <= 3; burst++) {
      await sleep(150); // the consumer is idle, sleeping
      const input = samplePcap(samplePackets(5));
      await produceToRing(path, [memorySource("live.pcap", input)], { endOfStream: false });
      const deadline = performance.now() + 5000;
      while (delays.length < burst && performance.now() < deadline) await sleep(1);
    }
    stop.abort();
    await consuming;
    assertEquals(delays.length, 3, "one flush per burst");
    assert(
      Math.min(...delays) < 10,
      `flushed ${delays.map((d) => d.toFixed(2))} ms after taking the packets`,
    );
    assert(
      Math.max(...delays) < 100,
      `flushed ${delays.map((d) => d.toFixed(2))} ms after taking the packets`,
    );
  });
});

Deno.test("library: an earlier session's end-of-stream mark at Get, with packets behind it, is stepped over", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ring`;
    // An earlier session ended (end-of-stream slot 0) and its consumer, like
    // fmadio2pcap, stopped on the mark without consuming it: Get stays at 0.
    await produceToRing(path, [], { eofOnly: true });
    // A new session is appended behind it. fmagent's producer would clear the
    // mark (its leftover rule); pcap2fmadio does not, so put it back.
    const input = samplePcap(samplePackets(3));
    await produceToRing(path, [memorySource("next.pcap", input)]);
    const ring = Ring.open(path, { writable: true });
    ring.view.setUint8(ring.slotStart(0) + SLOT.flag.offset, FLAG_EOF);
    ring.close();
    const out = new MemoryWriter();
    const notices: string[] = [];
    const summary = await consumeFromRing(path, pcapSink(out), {
      onNotice: (m) => notices.push(m),
    });
    assertEquals([summary.packets, summary.staleEndOfStream, summary.endOfStream], [3, true, true]);
    assertEquals(records(out.bytes()), records(input));
    assertEquals(notices, ["skipped an end-of-stream mark left in the ring by an earlier session"]);
    // A lone end-of-stream slot is honoured: the consumer ends at once.
    await produceToRing(path, [], { eofOnly: true });
    const alone = await consumeFromRing(path, pcapSink(new MemoryWriter()));
    assertEquals([alone.packets, alone.endOfStream, alone.staleEndOfStream], [0, true, false]);
  });
});

Deno.test("library: the warm-up on an empty ring touches neither the ring nor the real output", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ring`;
    await produceToRing(path, [], { eofOnly: true, endOfStream: false });
    const warmOut = new MemoryWriter();
    const out = new MemoryWriter();
    const consuming = consumeFromRing(path, pcapSink(out), {
      warmUp: { sink: pcapSink(warmOut), packets: 5000 },
    });
    await sleep(100);
    const input = samplePcap(samplePackets(40));
    await produceToRing(path, [memorySource("in.pcap", input)]);
    const summary = await consuming;
    assertEquals(summary.packets, 40);
    assertEquals(records(out.bytes()), records(input));
    // The discarded sink got the synthetic packets: two first rounds of 16, then at
    // least 5000 (refills of up to a ring's worth).
    const warmed = recordSpans(records(warmOut.bytes())).length;
    assert(warmed >= 32 + 5000 && warmed < 32 + 5000 + 1023, `warm-up packets: ${warmed}`);
    // The real ring saw only the real packets and the end of stream.
    const ring = Ring.open(path, { writable: false });
    try {
      assertEquals(ring.loadGet(), 41);
      assertEquals(ring.loadPut(), 41);
    } finally {
      ring.close();
    }
  });
});

Deno.test("library: a warm-up with a count ends at the count, and the count applies to the real packets", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ring`;
    await produceToRing(path, [], { eofOnly: true, endOfStream: false });
    const warmOut = new MemoryWriter();
    const out = new MemoryWriter();
    const consuming = consumeFromRing(path, pcapSink(out), {
      count: 5,
      warmUp: { sink: pcapSink(warmOut), packets: 5000 },
    });
    await sleep(50);
    const input = samplePcap(samplePackets(8));
    await produceToRing(path, [memorySource("in.pcap", input)]);
    const summary = await consuming;
    assertEquals(summary.packets, 5);
    const [fifthAt, fifthLength] = recordSpans(records(input))[4]!;
    assertEquals(records(out.bytes()), records(input).subarray(0, fifthAt + fifthLength));
    // Each warm-up round stopped at the count too.
    assertEquals(recordSpans(records(warmOut.bytes())).length, 15);
  });
});

Deno.test("library: no warm-up when packets are already queued (they go out first)", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ring`;
    const input = samplePcap(samplePackets(10));
    await produceToRing(path, [memorySource("in.pcap", input)]);
    const warmOut = new MemoryWriter();
    const out = new MemoryWriter();
    const summary = await consumeFromRing(path, pcapSink(out), {
      warmUp: { sink: pcapSink(warmOut), packets: 5000 },
    });
    assertEquals(summary.packets, 10);
    assertEquals(records(out.bytes()), records(input));
    assertEquals(warmOut.bytes().length, 0);
  });
});

import { assertBytesEqual, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { MemoryWriter } from "../../tests/support/memory_io.ts";
import { withTempDir } from "../../tests/support/temp_dir.ts";
import {
  EAGAIN,
  EINTR,
  EPIPE,
  iovecAddress,
  iovecLength,
  type VectorIo,
} from "../../ffi/vector_io.ts";
import { vectorIo } from "../../ffi/vector_io.deno.ts";
import { newPacketBatch, type PacketBatch } from "../pcap/packet_batch.ts";
import { pcapSink } from "./pcap_sink.ts";
import { vectorPcapSink } from "./vector_sink.ts";

/**
 * A VectorIo over made-up addresses: each buffer it was asked about gets a
 * base address (above 4 GiB, one of them straddling a 4 GiB boundary), and
 * writev copies the listed bytes back out of those buffers. `script` makes
 * calls fail or write short, as a pipe or a signal can.
 */
class FakeVectorIo implements VectorIo {
  readonly out: number[] = [];
  calls = 0;
  #buffers: { base: number; bytes: Uint8Array }[] = [];
  #nextBase = 0x7f00_0000_0000;
  constructor(
    private readonly script: (call: number, wanted: number) => number | undefined,
    private readonly straddle = true,
  ) {}

  addressOf(buffer: ArrayBuffer): number {
    const known = this.#buffers.find((b) => b.bytes.buffer === buffer);
    if (known !== undefined) return known.base;
    // The second buffer (the ring) may start 100 bytes below a 4 GiB boundary.
    const base = this.#buffers.length === 1 && this.straddle
      ? 0x7f01_0000_0000 - 100
      : this.#nextBase;
    this.#nextBase += 0x1_0000_0000;
    this.#buffers.push({ base, bytes: new Uint8Array(buffer) });
    return base;
  }
  newStableBuffer(size: number): ArrayBuffer {
    return new ArrayBuffer(size);
  }
  writev(_fd: number, iov: Uint32Array, count: number): number {
    const call = this.calls++;
    let wanted = 0;
    for (let e = 0; e < count; e++) wanted += iovecLength(iov, e);
    const scripted = this.script(call, wanted);
    if (scripted !== undefined && scripted < 0) return scripted;
    let left = scripted ?? wanted;
    const done = left;
    for (let e = 0; e < count && left > 0; e++) {
      const address = iovecAddress(iov, e);
      const length = Math.min(iovecLength(iov, e), left);
      const owner = this.#buffers.find((b) =>
        address >= b.base && address + length <= b.base + b.bytes.length
      );
      if (owner === undefined) throw new Error(`iovec ${e} points outside every buffer`);
      this.out.push(...owner.bytes.subarray(address - owner.base, address - owner.base + length));
      left -= length;
    }
    return done;
  }
  waitWritable(): void {}
  openWrite(): number {
    return 3;
  }
  close(): void {}
}

/** `count` packets of growing length at scattered, 4-aligned offsets of `ring`, like slots. */
function ringBatch(ring: Uint8Array, count: number, first = 0): PacketBatch {
  const batch = newPacketBatch(count, ring);
  for (let i = 0; i < count; i++) {
    const length = 1 + ((first + i) * 37) % 1500;
    batch.offset[i] = ((first + i) % 64) * 1600 + 24;
    batch.caplen[i] = length;
    batch.wirelen[i] = length + 4;
    batch.sec[i] = 1_700_000_000 + first + i;
    batch.nsec[i] = (first + i) * 7919 % 1_000_000_000;
  }
  batch.count = count;
  return batch;
}

function newRing(): Uint8Array {
  return Uint8Array.from({ length: 64 * 1600 + 2000 }, (_, i) => (i * 131 + 17) & 0xff);
}

/** What pcapSink (the copying sink, tested against tcpdump) writes for the same batches. */
async function copied(batches: PacketBatch[], snaplen?: number): Promise<Uint8Array> {
  const out = new MemoryWriter();
  const sink = pcapSink(out, snaplen === undefined ? {} : { snaplen });
  for (const batch of batches) await sink.write(batch);
  await sink.flush();
  return out.bytes();
}

async function vectored(
  io: FakeVectorIo,
  batches: PacketBatch[],
  snaplen?: number,
): Promise<Uint8Array> {
  const sink = vectorPcapSink(3, io, snaplen === undefined ? {} : { snaplen });
  for (const batch of batches) await sink.write(batch);
  await sink.flush();
  return Uint8Array.from(io.out);
}

Deno.test("vectorPcapSink writes the same bytes as pcapSink, over many calls and a 4 GiB boundary", async () => {
  const ring = newRing();
  // 1500 packets: three full writev calls (512 records each) and a partial one.
  const batches = [ringBatch(ring, 700), ringBatch(ring, 800, 700)];
  const io = new FakeVectorIo(() => undefined);
  assertBytesEqual(await vectored(io, batches), await copied(batches));
  assertEquals(io.calls, 1 + 3); // the file header alone, then 512 + 512 + 476 records
});

Deno.test("vectorPcapSink cuts packets at the snapshot length (ring within one 4 GiB range)", async () => {
  const ring = newRing();
  const batches = [ringBatch(ring, 300)];
  const io = new FakeVectorIo(() => undefined, false);
  assertBytesEqual(await vectored(io, batches, 200), await copied(batches, 200));
});

Deno.test("vectorPcapSink resumes after short writes, EINTR and EAGAIN, and loses nothing", async () => {
  const ring = newRing();
  const batches = [ringBatch(ring, 1200)];
  // Every third call fails or writes only part (sometimes ending inside a header).
  const io = new FakeVectorIo((call, wanted) =>
    call % 5 === 1
      ? -EINTR
      : call % 5 === 2
      ? -EAGAIN
      : call % 5 === 3
      ? Math.max(1, Math.floor(wanted / 3) + 7)
      : undefined
  );
  assertBytesEqual(await vectored(io, batches), await copied(batches));
  // The entries restored after a short write are right for the next call too.
  const more = [ringBatch(ring, 600, 1200)];
  const io2 = new FakeVectorIo((call, wanted) => call === 1 ? Math.floor(wanted / 2) : undefined);
  assertBytesEqual(await vectored(io2, [...batches, ...more]), await copied([...batches, ...more]));
});

Deno.test("vectorPcapSink turns EPIPE into BrokenPipe, as a Deno write does", async () => {
  const ring = newRing();
  const io = new FakeVectorIo((call) => (call === 1 ? -EPIPE : undefined));
  const sink = vectorPcapSink(3, io);
  await sink.write(ringBatch(ring, 10));
  let thrown: unknown;
  await sink.flush().catch((error) => thrown = error);
  assertEquals(thrown instanceof Deno.errors.BrokenPipe, true);
  const failing = new FakeVectorIo(() => -5); // EIO
  const other = vectorPcapSink(3, failing);
  assertThrows(() => other.write(ringBatch(ring, 600)), /write failed \(errno 5\)/);
});

Deno.test("vectorPcapSink through the real writev into a file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out.pcap`;
    await Deno.writeFile(path, new Uint8Array(0));
    const io = vectorIo!;
    const fd = io.openWrite(path);
    if (fd < 0) throw new Error(`cannot open ${path}: errno ${-fd}`);
    // Stable memory, as the ring's mapping is.
    const ring = new Uint8Array(io.newStableBuffer(64 * 1600 + 2000));
    ring.set(newRing());
    const batches = [ringBatch(ring, 1100)];
    try {
      const sink = vectorPcapSink(fd, io);
      for (const batch of batches) sink.write(batch);
      await sink.flush();
    } finally {
      io.close(fd);
    }
    assertBytesEqual(await Deno.readFile(path), await copied(batches));
  });
});

import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { ringMemory } from "../../ffi/ring_memory.deno.ts";
import { type RingMemory, RingOsError } from "../../ffi/ring_memory.ts";
import {
  FLAG_EOF,
  GET_INDEX,
  HEADER,
  OLD_RING_FILE_SIZE,
  PUT_INDEX,
  RING_FILE_SIZE,
  SLOT,
} from "./layout.ts";
import { Ring } from "./ring.ts";
import { RingError } from "./ring_error.ts";
import { CAPTURE_READ_BUFFER } from "../pcap/capture_reader.ts";

async function withDir(body: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fmagent-ring-unit-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Ring.openForProducer creates a missing ring, sized and initialised, with mode less the umask", async () => {
  await withDir((dir) => {
    const path = `${dir}/ring`;
    const { ring, report } = Ring.openForProducer(path, { mode: 0o640, txTimeoutNs: 5e9 });
    try {
      assertEquals(report, { initialised: true, leftovers: 0, clearedEndOfStream: false });
      const header = ring.header();
      assertEquals([header.version, header.depth, header.isTxFlowControl, header.txTimeoutNs], [
        0x100,
        1024,
        true,
        5e9,
      ]);
      assertEquals(header.path, path);
    } finally {
      ring.close();
    }
    const info = Deno.statSync(path);
    assertEquals(info.size, RING_FILE_SIZE);
    assertEquals((info.mode ?? 0) & 0o777, 0o640 & ~Deno.umask());
  });
});

Deno.test("Ring.openForProducer replaces a ring of another size, with a warning", async () => {
  await withDir((dir) => {
    const path = `${dir}/ring`;
    Deno.writeFileSync(path, new Uint8Array(OLD_RING_FILE_SIZE));
    const notices: string[] = [];
    const { ring } = Ring.openForProducer(path, { onNotice: (m) => notices.push(m) });
    ring.close();
    assertEquals(notices, [
      `warning: replacing ${path} (size 10489868, expected 12595200 (older ring format?)) with a new ring`,
    ]);
    assertEquals(Deno.statSync(path).size, RING_FILE_SIZE);
  });
});

Deno.test("Ring.openForProducer keeps leftovers queued, clears their end-of-stream mark, and --reset drops them", async () => {
  await withDir((dir) => {
    const path = `${dir}/ring`;
    const first = Ring.openForProducer(path).ring;
    // An earlier session: 5 packets then the end-of-stream slot, nobody consumed them.
    const eofSlot = first.slotStart(5);
    first.view.setUint8(eofSlot + SLOT.flag.offset, FLAG_EOF);
    first.publishPut(6, 500, 0, 0);
    first.close();

    const notices: string[] = [];
    const again = Ring.openForProducer(path, { onNotice: (m) => notices.push(m) });
    assertEquals(again.report, { initialised: false, leftovers: 5, clearedEndOfStream: true });
    assertEquals(again.ring.view.getUint8(eofSlot + SLOT.flag.offset) & FLAG_EOF, 0);
    assertEquals(again.ring.loadPut(), 6);
    again.ring.close();
    assertEquals(notices.length, 1);
    assert(notices[0]!.includes("holds 5 unread packets of an earlier session"), notices[0]);

    const reset = Ring.openForProducer(path, { reset: true });
    assertEquals([reset.report.initialised, reset.ring.loadPut(), reset.ring.loadGet()], [
      true,
      0,
      0,
    ]);
    reset.ring.close();
  });
});

Deno.test("Ring.openForProducer refuses a ring whose Get is ahead of Put", async () => {
  await withDir((dir) => {
    const path = `${dir}/ring`;
    const { ring } = Ring.openForProducer(path);
    ring.publishGet(10, 0, 0, 0);
    ring.close();
    assertThrows(() => Ring.openForProducer(path), /Get \(10\) is ahead of Put \(0\).*--reset/);
  });
});

Deno.test("Ring.openForProducer re-initialises a zeroed ring file and refuses a bad geometry without --reset", async () => {
  await withDir((dir) => {
    const path = `${dir}/ring`;
    Deno.writeFileSync(path, new Uint8Array(RING_FILE_SIZE));
    const { ring, report } = Ring.openForProducer(path);
    assertEquals(report.initialised, true);
    ring.view.setUint32(HEADER.depth.offset, 1000, true);
    ring.close();
    assertThrows(
      () => Ring.openForProducer(path),
      /^Cannot open ring .*: depth 1000, expected a power of two from 2 to 1024; use --reset/,
    );
    Ring.openForProducer(path, { reset: true }).ring.close();
  });
});

Deno.test("Ring.open maps an OS failure to one line: permission denied", async () => {
  await withDir((dir) => {
    const path = `${dir}/ring`;
    Ring.openForProducer(path).ring.close();
    const denied: RingMemory = {
      ...ringMemory,
      mapRingFile: () => {
        throw new RingOsError("open", 13, "Permission denied");
      },
    };
    let error: unknown;
    try {
      Ring.open(path, { writable: true }, denied);
    } catch (e) {
      error = e;
    }
    assert(error instanceof RingError);
    assertEquals([error.message, error.exitCode], [
      `Cannot open ring ${path}: permission denied`,
      2,
    ]);
  });
});

Deno.test("Ring stores and loads Put and Get as exact s64 values across the 32-bit boundary", async () => {
  await withDir((dir) => {
    const { ring } = Ring.openForProducer(`${dir}/ring`);
    try {
      const counters = new BigInt64Array(ring.bytes.buffer, 0, 4096);
      const values = [
        0,
        1,
        2 ** 31 - 1,
        2 ** 31,
        2 ** 32 - 1,
        2 ** 32,
        2 ** 32 + 5,
        2 ** 40 + 3,
        7,
      ];
      for (const value of values) {
        ring.publishPut(value, 0, 0, 0);
        ring.publishGet(value + 1, 0, 0, 0);
        assertEquals([ring.loadPut(), ring.loadGet()], [value, value + 1]);
        // What a C peer's 64-bit load sees.
        assertEquals([counters[PUT_INDEX], counters[GET_INDEX]], [
          BigInt(value),
          BigInt(value + 1),
        ]);
      }
    } finally {
      ring.close();
    }
  });
});

Deno.test("a producer's ring carries a private scratch after the file, in the same buffer; a consumer's none", async () => {
  await withDir((dir) => {
    const path = `${dir}/ring`;
    const { ring } = Ring.openForProducer(path);
    try {
      assertEquals(ring.bytes.length, RING_FILE_SIZE);
      assertEquals(ring.scratch.length, CAPTURE_READ_BUFFER);
      assertEquals(ring.scratch.byteOffset, RING_FILE_SIZE);
      assert(ring.scratch.buffer === ring.bytes.buffer && ring.span.buffer === ring.bytes.buffer);
      assertEquals(ring.span.length, RING_FILE_SIZE + CAPTURE_READ_BUFFER);
      assert(ring.scratch.every((b) => b === 0), "the scratch starts zeroed");
      // A packet moves from the scratch into a slot with copyWithin, and the
      // scratch itself never reaches the file.
      ring.scratch.fill(0xab);
      const payload = SLOT.payload.offset + ring.slotStart(0);
      ring.span.copyWithin(payload, RING_FILE_SIZE, RING_FILE_SIZE + 100);
    } finally {
      ring.close();
    }
    assertEquals(Deno.statSync(path).size, RING_FILE_SIZE);
    const consumer = Ring.open(path, { writable: true });
    try {
      assertEquals(consumer.scratch.length, 0);
      const payload = SLOT.payload.offset + consumer.slotStart(0);
      assertEquals([...consumer.bytes.subarray(payload - 1, payload + 101)], [
        0,
        ...new Array(100).fill(0xab),
        0,
      ]);
    } finally {
      consumer.close();
    }
  });
});

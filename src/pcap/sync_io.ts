/**
 * Blocking reads and writes for the byte streams that never make them wait
 * long (a regular file to read, /dev/null to write): in Deno a sync op is
 * much cheaper than an async one, whose result comes back through the event
 * loop. The stream is marked once where it is opened; CaptureReader and
 * PcapWriter then use the blocking call for it. Not part of the public API.
 */
import type { ByteReader, ByteWriter } from "../cli/io.ts";

export type ReadSync = (into: Uint8Array) => number | null;
export type WriteSync = (bytes: Uint8Array) => number;

const syncReads = new WeakMap<ByteReader, ReadSync>();
const syncWrites = new WeakMap<ByteWriter, WriteSync>();

/** Marks `source` as readable with `readSync` too; returns it. */
export function readsSynchronously<T extends ByteReader>(source: T, readSync: ReadSync): T {
  syncReads.set(source, readSync);
  return source;
}

/** Marks `sink` as writable with `writeSync` too; returns it. */
export function writesSynchronously<T extends ByteWriter>(sink: T, writeSync: WriteSync): T {
  syncWrites.set(sink, writeSync);
  return sink;
}

/** The blocking read `source` was marked with, if any. */
export function syncReadOf(source: ByteReader): ReadSync | undefined {
  return syncReads.get(source);
}

/** The blocking write `sink` was marked with, if any. */
export function syncWriteOf(sink: ByteWriter): WriteSync | undefined {
  return syncWrites.get(sink);
}

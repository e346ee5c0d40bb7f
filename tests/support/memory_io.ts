import type { ByteReader, ByteWriter, Io } from "../../src/cli/io.ts";

/** Collects written bytes in memory. */
export class MemoryWriter implements ByteWriter {
  #chunks: Uint8Array[] = [];
  write(bytes: Uint8Array): Promise<number> {
    this.#chunks.push(bytes.slice());
    return Promise.resolve(bytes.length);
  }
  bytes(): Uint8Array {
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/** Serves fixed bytes, in reads of at most `chunk` bytes to exercise refill paths. */
export class MemoryReader implements ByteReader {
  #at = 0;
  constructor(readonly data: Uint8Array, readonly chunk = Number.MAX_SAFE_INTEGER) {}
  read(into: Uint8Array): Promise<number | null> {
    if (this.#at >= this.data.length) return Promise.resolve(null);
    const n = Math.min(into.length, this.chunk, this.data.length - this.#at);
    into.set(this.data.subarray(this.#at, this.#at + n));
    this.#at += n;
    return Promise.resolve(n);
  }
}

export interface MemoryIo extends Io {
  readonly stdout: MemoryWriter;
  readonly stderr: MemoryWriter;
}

/** An Io over memory: stdin from `input`, stdout and stderr collected. */
export function memoryIo(
  input: Uint8Array = new Uint8Array(0),
  signal = new AbortController().signal,
): MemoryIo {
  return {
    stdin: new MemoryReader(input),
    stdout: new MemoryWriter(),
    stderr: new MemoryWriter(),
    signal,
    stderrIsTerminal: false,
  };
}

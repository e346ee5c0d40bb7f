/**
 * The installed libpcap as a test oracle: compiles libpcap_oracle.c with gcc
 * into a temp dir and feeds it instructions and packets in one batch.
 * `oracleUnavailable()` says why it cannot run (no gcc or no libpcap-dev), so
 * tests can be reported as ignored rather than passed.
 */
import type { RawProgram } from "../../src/bpf/program/raw_instruction.ts";

const SOURCE = new URL("./libpcap_oracle.c", import.meta.url);

let built: Promise<string | Error> | undefined;

async function build(): Promise<string | Error> {
  const dir = await Deno.makeTempDir({ prefix: "fmagent-bpf-oracle-" });
  const binary = `${dir}/oracle`;
  try {
    const out = await new Deno.Command("gcc", {
      args: ["-O2", "-o", binary, SOURCE.pathname, "-lpcap"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return new Error(new TextDecoder().decode(out.stderr).trim());
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    return binary;
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** The oracle binary path, built once per process. */
export function oracleBinary(): Promise<string | Error> {
  built ??= build();
  return built;
}

/** Why the oracle cannot run here, or undefined when it can (checked synchronously for `ignore`). */
export function oracleUnavailable(): string | undefined {
  try {
    Deno.statSync("/usr/include/pcap/pcap.h");
  } catch {
    return "libpcap-dev is not installed (no /usr/include/pcap/pcap.h)";
  }
  const hasGcc = ["/usr/bin/gcc", "/usr/local/bin/gcc"].some((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  return hasGcc ? undefined : "gcc is not installed";
}

class Request {
  #parts: Uint8Array[] = [];
  #size = 0;
  push(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#size += bytes.length;
  }
  tag(c: string): void {
    this.push(new Uint8Array([c.charCodeAt(0)]));
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.push(b);
  }
  insn(code: number, jt: number, jf: number, k: number): void {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint16(0, code, true);
    v.setUint8(2, jt);
    v.setUint8(3, jf);
    v.setUint32(4, k >>> 0, true);
    this.push(b);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

async function exchange(request: Request): Promise<string[]> {
  const binary = await oracleBinary();
  if (binary instanceof Error) throw binary;
  const child = new Deno.Command(binary, { stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  const writing = writer.write(request.bytes()).then(() => writer.close());
  const [out] = await Promise.all([child.output(), writing]);
  if (!out.success) {
    throw new Error(`libpcap oracle failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const text = new TextDecoder().decode(out.stdout);
  return text.slice(0, -1).split("\n");
}

/** libpcap's `bpf_image(insn, n)` for each (insn, n). */
export function libpcapImages(
  items: readonly { code: number; jt: number; jf: number; k: number; n: number }[],
): Promise<string[]> {
  const request = new Request();
  for (const it of items) {
    request.tag("I");
    request.insn(it.code, it.jt, it.jf, it.k);
    request.u32(it.n);
  }
  return exchange(request);
}

/** libpcap's `bpf_dump(program, option)` output for each program, concatenated. */
export async function libpcapDumps(
  programs: readonly RawProgram[],
  option: 1 | 2 | 3,
): Promise<string> {
  const request = new Request();
  for (const program of programs) {
    request.tag("D");
    request.push(new Uint8Array([option]));
    request.u32(program.length);
    for (const insn of program) request.insn(insn.code, insn.jt, insn.jf, insn.k);
  }
  return (await exchange(request)).join("\n") + "\n";
}

export interface OraclePacket {
  readonly data: Uint8Array;
  readonly wirelen: number;
}

/** For each program: whether libpcap's bpf_validate accepts it, and its verdict on each packet. */
export async function libpcapVerdicts(
  programs: readonly RawProgram[],
  packets: readonly OraclePacket[],
): Promise<{ valid: boolean; verdicts: number[] }[]> {
  const request = new Request();
  for (const packet of packets) {
    request.tag("K");
    request.u32(packet.data.length);
    request.u32(packet.wirelen);
    request.push(packet.data);
  }
  for (const program of programs) {
    request.tag("P");
    request.u32(program.length);
    for (const insn of program) request.insn(insn.code, insn.jt, insn.jf, insn.k);
  }
  const lines = await exchange(request);
  const results: { valid: boolean; verdicts: number[] }[] = [];
  let at = 0;
  for (let p = 0; p < programs.length; p++) {
    const valid = lines[at++] === "V1";
    const verdicts = lines.slice(at, at + packets.length).map(Number);
    at += packets.length;
    results.push({ valid, verdicts });
  }
  return results;
}

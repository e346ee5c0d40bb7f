/**
 * The benchmark captures, generated once into bench/.data/ (git-ignored):
 * - mixed: 1,000,000 packets of 60–1200 bytes
 * - small: 2,000,000 packets of 64–128 bytes
 * Microsecond pcap, Ethernet; IPv4 TCP and UDP (DNS and HTTP ports among
 * others) over 10.0.0.0/8 and 192.168.0.0/16, one packet in ten VLAN-tagged.
 * A fixed seed makes every run use the same bytes.
 */
import { encodePcapFileHeader } from "../src/pcap/pcap_format.ts";
import { LINKTYPE_ETHERNET, MAX_SNAPLEN } from "../src/pcap/link_type.ts";

export interface BenchCaptures {
  readonly mixed: string;
  readonly small: string;
}

const DIR = new URL("./.data/", import.meta.url);

/** Paths of the two captures, generating whichever is missing. */
export async function ensureBenchCaptures(): Promise<BenchCaptures> {
  await Deno.mkdir(DIR, { recursive: true });
  const mixed = new URL("mixed-1m.pcap", DIR).pathname;
  const small = new URL("small-2m.pcap", DIR).pathname;
  await ensure(mixed, 1_000_000, 60, 1200, 1);
  await ensure(small, 2_000_000, 64, 128, 2);
  return { mixed, small };
}

async function ensure(
  path: string,
  count: number,
  min: number,
  max: number,
  seed: number,
): Promise<void> {
  try {
    const stat = await Deno.stat(path);
    if (stat.size > 24 + count * (16 + min)) return;
  } catch {
    // missing: generate below
  }
  const tmp = `${path}.tmp`;
  await Deno.writeFile(tmp, generateCapture(count, min, max, seed));
  await Deno.rename(tmp, path);
}

/** xorshift32: fast, deterministic, good enough to vary sizes and fields. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const PORTS = [53, 80, 443, 8080, 123, 22, 5060, 1234];

export function generateCapture(count: number, min: number, max: number, seed: number): Uint8Array {
  const random = rng(seed);
  const sizes = new Uint16Array(count);
  let total = 24;
  for (let i = 0; i < count; i++) {
    sizes[i] = min + Math.floor(random() * (max - min + 1));
    total += 16 + sizes[i]!;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(encodePcapFileHeader(LINKTYPE_ETHERNET, MAX_SNAPLEN, false));
  let at = 24;
  let sec = 1_764_000_000;
  let usec = 0;
  for (let i = 0; i < count; i++) {
    const size = sizes[i]!;
    usec += 1 + Math.floor(random() * 20);
    if (usec >= 1_000_000) {
      sec++;
      usec -= 1_000_000;
    }
    view.setUint32(at, sec, true);
    view.setUint32(at + 4, usec, true);
    view.setUint32(at + 8, size, true);
    view.setUint32(at + 12, size, true);
    writeFrame(out, view, at + 16, size, random);
    at += 16 + size;
  }
  return out;
}

function writeFrame(
  out: Uint8Array,
  view: DataView,
  at: number,
  size: number,
  random: () => number,
): void {
  const end = at + size;
  // Destination and source MACs.
  view.setUint32(at, 0x02000000, false);
  view.setUint16(at + 4, Math.floor(random() * 256), false);
  view.setUint32(at + 6, 0x02000000, false);
  view.setUint16(at + 10, Math.floor(random() * 256), false);
  let l3 = at + 14;
  const vlan = random() < 0.1;
  if (vlan) {
    view.setUint16(at + 12, 0x8100, false);
    view.setUint16(at + 14, 1 + Math.floor(random() * 4094), false);
    view.setUint16(at + 16, 0x0800, false);
    l3 += 4;
  } else {
    view.setUint16(at + 12, 0x0800, false);
  }
  const udp = random() < 0.4;
  const l4 = l3 + 20;
  const ipLength = end - l3;
  out[l3] = 0x45;
  view.setUint16(l3 + 2, ipLength, false);
  view.setUint16(l3 + 4, Math.floor(random() * 65536), false);
  view.setUint16(l3 + 6, 0x4000, false);
  out[l3 + 8] = 64;
  out[l3 + 9] = udp ? 17 : 6;
  const tenNet = random() < 0.6;
  view.setUint32(
    l3 + 12,
    tenNet
      ? 0x0a000000 | Math.floor(random() * 0x20000)
      : 0xc0a80000 | Math.floor(random() * 0x10000),
    false,
  );
  view.setUint32(l3 + 16, random() < 0.5 ? 0x0a000001 : 0xc0a80101, false);
  const sport = 1024 + Math.floor(random() * 60000);
  const dport = PORTS[Math.floor(random() * PORTS.length)]!;
  view.setUint16(l4, sport, false);
  view.setUint16(l4 + 2, dport, false);
  if (udp) {
    view.setUint16(l4 + 4, end - l4, false);
  } else if (end - l4 >= 20) {
    view.setUint32(l4 + 4, Math.floor(random() * 4294967296), false);
    view.setUint32(l4 + 8, Math.floor(random() * 4294967296), false);
    out[l4 + 12] = 0x50;
    out[l4 + 13] = random() < 0.1 ? 0x02 : 0x18;
    view.setUint16(l4 + 14, 65535, false);
  }
}

if (import.meta.main) {
  const paths = await ensureBenchCaptures();
  console.log(JSON.stringify(paths));
}

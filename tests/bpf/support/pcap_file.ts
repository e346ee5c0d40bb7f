/** Minimal classic pcap (microsecond, little-endian) writing and reading for the oracle tests. */

export interface TestPacket {
  readonly data: Uint8Array;
  readonly wirelen: number;
}

/** A pcap file whose packet i has timestamp second i, so tcpdump's output names packets by index. */
export function pcapBytes(packets: readonly TestPacket[], linkType = 1): Uint8Array {
  const size = 24 + packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 262144, true);
  view.setUint32(20, linkType, true);
  let at = 24;
  packets.forEach((p, i) => {
    view.setUint32(at, i, true);
    view.setUint32(at + 4, 0, true);
    view.setUint32(at + 8, p.data.length, true);
    view.setUint32(at + 12, p.wirelen, true);
    out.set(p.data, at + 16);
    at += 16 + p.data.length;
  });
  return out;
}

/** Records of a classic pcap file (either byte order, µs or ns), with its link type. */
export function readPcap(
  bytes: Uint8Array,
): { linkType: number; packets: TestPacket[]; seconds: number[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (
    !little && view.getUint32(0, false) !== 0xa1b2c3d4 && view.getUint32(0, false) !== 0xa1b23c4d
  ) {
    throw new Error("not a classic pcap file");
  }
  const linkType = view.getUint32(20, little) & 0xffff;
  const packets: TestPacket[] = [];
  const seconds: number[] = [];
  let at = 24;
  while (at + 16 <= bytes.length) {
    const caplen = view.getUint32(at + 8, little);
    const wirelen = view.getUint32(at + 12, little);
    if (at + 16 + caplen > bytes.length) break;
    seconds.push(view.getUint32(at, little));
    packets.push({ data: bytes.slice(at + 16, at + 16 + caplen), wirelen });
    at += 16 + caplen;
  }
  return { linkType, packets, seconds };
}

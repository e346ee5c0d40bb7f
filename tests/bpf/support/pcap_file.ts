/** Minimal classic pcap (microsecond, little-endian) writing and reading for the oracle tests. */
import { buildPcap } from "../../support/packet_builder.ts";

export interface TestPacket {
  readonly data: Uint8Array;
  readonly wirelen: number;
}

/** A pcap file whose packet i has timestamp second i, so tcpdump's output names packets by index. */
export function pcapBytes(packets: readonly TestPacket[], linkType = 1): Uint8Array {
  return buildPcap(packets.map((p, i) => ({ data: p.data, wirelen: p.wirelen, sec: i, nsec: 0 })), {
    linkType,
  });
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

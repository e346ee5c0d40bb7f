/**
 * Classic pcap: the 24-byte file header and the 16-byte record header
 * (tcpdump.org/manpages/pcap-savefile.5). Magic in the writer's byte order
 * tells the reader both the byte order and the timestamp unit.
 */
import { MAX_SNAPLEN } from "./link_type.ts";

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

export interface PcapFileHeader {
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  readonly linkType: number;
}

/** The pcap header described by the first 4 bytes, or undefined when they are not a pcap magic. */
export function pcapMagicKind(
  view: DataView,
  at: number,
): { littleEndian: boolean; nanosecond: boolean } | undefined {
  const le = view.getUint32(at, true);
  if (le === PCAP_MAGIC_MICRO) return { littleEndian: true, nanosecond: false };
  if (le === PCAP_MAGIC_NANO) return { littleEndian: true, nanosecond: true };
  const be = view.getUint32(at, false);
  if (be === PCAP_MAGIC_MICRO) return { littleEndian: false, nanosecond: false };
  if (be === PCAP_MAGIC_NANO) return { littleEndian: false, nanosecond: true };
  return undefined;
}

/** Parses a pcap file header at `at` (24 bytes must be available and the magic known). */
export function parsePcapFileHeader(view: DataView, at: number): PcapFileHeader {
  const kind = pcapMagicKind(view, at);
  if (kind === undefined) throw new Error("parsePcapFileHeader: not a pcap magic");
  const le = kind.littleEndian;
  return {
    ...kind,
    versionMajor: view.getUint16(at + 4, le),
    versionMinor: view.getUint16(at + 6, le),
    snaplen: view.getUint32(at + 16, le),
    // The upper bits carry FCS information in some writers; the link type is the low 16.
    linkType: view.getUint32(at + 20, le) & 0xffff,
  };
}

/** The 24-byte header fmagent writes: version 2.4, little-endian. */
export function encodePcapFileHeader(
  linkType: number,
  snaplen: number,
  nanosecond: boolean,
): Uint8Array {
  const bytes = new Uint8Array(PCAP_FILE_HEADER_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, nanosecond ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, Math.min(snaplen, 0xffffffff), true);
  view.setUint32(20, linkType, true);
  return bytes;
}

/** Why a record's captured length is not acceptable, or "" when it is. */
export function checkCaptureLength(caplen: number): string {
  return caplen > MAX_SNAPLEN ? `corrupt record: caplen ${caplen} larger than ${MAX_SNAPLEN}` : "";
}

/**
 * The pcapng blocks that carry packets — Enhanced (type 6), Simple (3) and
 * the obsolete Packet block (2) — decoded into one PacketBatch slot each.
 */
import type { PacketBatch } from "../packet_batch.ts";
import { MAX_SNAPLEN } from "../link_type.ts";
import type { InterfaceDescription } from "./interface_description.ts";
import { setPacketTime } from "./timestamp_units.ts";

/**
 * Decodes the Enhanced (or obsolete Packet) block at `at` of `length` bytes
 * into slot `i`; returns "" or what is wrong with it.
 */
export function decodeEnhancedPacket(
  view: DataView,
  at: number,
  length: number,
  littleEndian: boolean,
  obsolete: boolean,
  interfaces: readonly InterfaceDescription[],
  batch: PacketBatch,
  i: number,
): string {
  if (length < 32) return `corrupt pcapng packet block: length ${length} is less than 32`;
  const ifIndex = obsolete
    ? view.getUint16(at + 8, littleEndian)
    : view.getUint32(at + 8, littleEndian);
  const iface = interfaces[ifIndex];
  if (iface === undefined) {
    return `pcapng packet block names interface ${ifIndex}, which is not described`;
  }
  const caplen = view.getUint32(at + 20, littleEndian);
  if (caplen > MAX_SNAPLEN) return `corrupt record: caplen ${caplen} larger than ${MAX_SNAPLEN}`;
  if (caplen > length - 32) {
    return `corrupt pcapng packet block: caplen ${caplen} exceeds the block`;
  }
  setPacketTime(
    batch,
    i,
    view.getUint32(at + 12, littleEndian),
    view.getUint32(at + 16, littleEndian),
    iface,
  );
  batch.caplen[i] = caplen;
  batch.wirelen[i] = view.getUint32(at + 24, littleEndian);
  batch.offset[i] = at + 28;
  batch.linkType[i] = iface.linkType;
  return "";
}

/** Decodes the Simple Packet block at `at` into slot `i`: interface 0, no timestamp. */
export function decodeSimplePacket(
  view: DataView,
  at: number,
  length: number,
  littleEndian: boolean,
  interfaces: readonly InterfaceDescription[],
  batch: PacketBatch,
  i: number,
): string {
  if (length < 16) return `corrupt pcapng simple packet block: length ${length} is less than 16`;
  const iface = interfaces[0];
  if (iface === undefined) return "pcapng simple packet block before any interface description";
  const wirelen = view.getUint32(at + 8, littleEndian);
  let caplen = Math.min(wirelen, length - 16);
  if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
  batch.sec[i] = 0;
  batch.nsec[i] = 0;
  batch.caplen[i] = caplen;
  batch.wirelen[i] = wirelen;
  batch.offset[i] = at + 12;
  batch.linkType[i] = iface.linkType;
  return "";
}

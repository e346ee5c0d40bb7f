/**
 * pcapng blocks → a PacketBatch. Section headers set the byte order and
 * reset the interface list; interface descriptions are remembered; packet
 * blocks fill the batch; every other block type is skipped.
 */
import type { PacketBatch } from "../packet_batch.ts";
import type { ParseProgress } from "../parse_progress.ts";
import {
  BLOCK_ENHANCED_PACKET,
  BLOCK_INTERFACE_DESCRIPTION,
  BLOCK_PACKET_OBSOLETE,
  BLOCK_SECTION_HEADER,
  BLOCK_SIMPLE_PACKET,
  checkBlockLength,
} from "./block.ts";
import { type InterfaceDescription, parseInterfaceDescription } from "./interface_description.ts";
import { decodeEnhancedPacket, decodeSimplePacket } from "./packet_blocks.ts";
import { sectionByteOrder } from "./section_header.ts";

/** What carries over between parse passes: the current section's byte order and interfaces. */
export interface PcapngSection {
  littleEndian: boolean;
  interfaces: InterfaceDescription[];
}

export function newPcapngSection(): PcapngSection {
  return { littleEndian: true, interfaces: [] };
}

/** Appends packets from whole blocks in `[start, end)`; stops like parsePcapRecords. */
export function parsePcapngBlocks(
  view: DataView,
  start: number,
  end: number,
  section: PcapngSection,
  batch: PacketBatch,
  progress: ParseProgress,
): void {
  const capacity = batch.offset.length;
  let at = start;
  progress.need = 0;
  progress.error = "";
  while (batch.count < capacity) {
    if (end - at < 12) {
      progress.need = 12;
      break;
    }
    const type = view.getUint32(at, section.littleEndian);
    if (type === BLOCK_SECTION_HEADER) {
      const order = sectionByteOrder(view, at);
      if (order === undefined) {
        progress.error = "corrupt pcapng section header: unknown byte-order magic";
        break;
      }
      section.littleEndian = order;
    }
    const le = section.littleEndian;
    const length = view.getUint32(at + 4, le);
    const lengthError = checkBlockLength(length);
    if (lengthError) {
      progress.error = lengthError;
      break;
    }
    if (end - at < length) {
      progress.need = length;
      break;
    }
    if (view.getUint32(at + length - 4, le) !== length) {
      progress.error = "corrupt pcapng block: trailing length differs from the leading length";
      break;
    }
    let error = "";
    switch (type) {
      case BLOCK_SECTION_HEADER:
        section.interfaces = [];
        break;
      case BLOCK_INTERFACE_DESCRIPTION:
        if (length < 20) error = `corrupt pcapng interface block: length ${length} is less than 20`;
        else section.interfaces.push(parseInterfaceDescription(view, at, length, le));
        break;
      case BLOCK_ENHANCED_PACKET:
      case BLOCK_PACKET_OBSOLETE:
        error = decodeEnhancedPacket(
          view,
          at,
          length,
          le,
          type === BLOCK_PACKET_OBSOLETE,
          section.interfaces,
          batch,
          batch.count,
        );
        if (!error) batch.count++;
        break;
      case BLOCK_SIMPLE_PACKET:
        error = decodeSimplePacket(view, at, length, le, section.interfaces, batch, batch.count);
        if (!error) batch.count++;
        break;
    }
    if (error) {
      progress.error = error;
      break;
    }
    at += length;
  }
  progress.next = at;
}

/**
 * Classic pcap records → a PacketBatch, straight from a refill buffer: one
 * bounds check per record, no allocation.
 */
import type { PacketBatch } from "./packet_batch.ts";
import type { ParseProgress } from "./parse_progress.ts";
import {
  checkCaptureLength,
  PCAP_RECORD_HEADER_LENGTH,
  type PcapFileHeader,
} from "./pcap_format.ts";

/**
 * Appends whole records from `bytes[start, end)` to `batch` until the batch is
 * full, a record is incomplete (`progress.need` set) or corrupt (`progress.error` set).
 */
export function parsePcapRecords(
  view: DataView,
  start: number,
  end: number,
  header: PcapFileHeader,
  batch: PacketBatch,
  progress: ParseProgress,
): void {
  const le = header.littleEndian;
  const nsecPerUnit = header.nanosecond ? 1 : 1000;
  const linkType = header.linkType;
  const capacity = batch.offset.length;
  let count = batch.count;
  let at = start;
  progress.need = 0;
  progress.error = "";
  while (count < capacity) {
    if (end - at < PCAP_RECORD_HEADER_LENGTH) {
      progress.need = PCAP_RECORD_HEADER_LENGTH;
      break;
    }
    const caplen = view.getUint32(at + 8, le);
    if (caplen > 262144) {
      progress.error = checkCaptureLength(caplen);
      break;
    }
    const total = PCAP_RECORD_HEADER_LENGTH + caplen;
    if (end - at < total) {
      progress.need = total;
      break;
    }
    batch.sec[count] = view.getUint32(at, le);
    batch.nsec[count] = view.getUint32(at + 4, le) * nsecPerUnit;
    batch.caplen[count] = caplen;
    batch.wirelen[count] = view.getUint32(at + 12, le);
    batch.offset[count] = at + PCAP_RECORD_HEADER_LENGTH;
    batch.linkType[count] = linkType;
    count++;
    at += total;
  }
  batch.count = count;
  progress.next = at;
}

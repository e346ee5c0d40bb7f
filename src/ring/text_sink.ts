/** A RingPacketSink that prints one tcpdump -nn style line per packet (consume --print). */
import { type ByteWriter, writeText } from "../cli/io.ts";
import type { PacketBatch } from "../pcap/packet_batch.ts";
import { formatPacketLine } from "../print/packet_line.ts";
import type { RingPacketSink } from "./consumer.ts";

/** Formats the lines at write (the text no longer points into the ring) and writes them at flush. */
export function textSink(out: ByteWriter): RingPacketSink {
  let lines: string[] = [];
  return {
    write(batch: PacketBatch): void {
      const { bytes, offset, caplen, wirelen, sec, nsec, linkType } = batch;
      for (let i = 0; i < batch.count; i++) {
        lines.push(
          formatPacketLine(
            bytes,
            offset[i]!,
            caplen[i]!,
            wirelen[i]!,
            sec[i]!,
            nsec[i]!,
            linkType[i]!,
          ),
        );
      }
    },
    async flush(): Promise<void> {
      if (lines.length === 0) return;
      const text = `${lines.join("\n")}\n`;
      lines = [];
      await writeText(out, text);
    },
  };
}

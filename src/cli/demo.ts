/**
 * `fmagent demo`: fmagent working with nothing but itself — the embedded
 * sample capture is read and each packet printed as a tcpdump -nn style line.
 */
import { guarded, newCommand, parseArgs } from "./command.ts";
import { EXIT_OK, type Io, writeText } from "./io.ts";
import { CaptureReader } from "../pcap/capture_reader.ts";
import { bytesReader } from "../pcap/bytes_reader.ts";
import { sampleCapture } from "../demo/sample_capture.ts";
import { formatPacketLine } from "../print/packet_line.ts";

const EXAMPLES = `
Examples:
  fmagent demo
  npx fmagent demo
`;

function demoCommand() {
  return newCommand("demo", "replay the built-in sample capture and print it")
    .addHelpText("after", EXAMPLES);
}

export function run(args: readonly string[], io: Io): Promise<number> {
  return guarded(io, async () => {
    const parsed = await parseArgs(demoCommand(), args, io);
    if (!parsed.ok) return parsed.exitCode;
    const reader = await CaptureReader.open(bytesReader(sampleCapture()), "sample capture");
    let packets = 0;
    let bytes = 0;
    let text = "";
    for (let batch = await reader.next(); batch !== null; batch = await reader.next()) {
      for (let i = 0; i < batch.count; i++) {
        text += formatPacketLine(
          batch.bytes,
          batch.offset[i]!,
          batch.caplen[i]!,
          batch.wirelen[i]!,
          batch.sec[i]!,
          batch.nsec[i]!,
          batch.linkType[i]!,
        ) + "\n";
        packets++;
        bytes += batch.wirelen[i]!;
      }
    }
    await writeText(io.stdout, `${text}${packets} packets, ${bytes} bytes\n`);
    return EXIT_OK;
  });
}

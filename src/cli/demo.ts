/**
 * `fmagent demo`: fmagent working with nothing but itself. The embedded
 * sample capture is produced into a temporary FMAD ring, consumed back out
 * of it, and each packet printed as a tcpdump -nn style line, then the totals.
 */
import { guarded, newCommand, parseArgs } from "./command.ts";
import { EXIT_OK, type Io, writeText } from "./io.ts";
import { CaptureReader } from "../pcap/capture_reader.ts";
import { bytesReader } from "../pcap/bytes_reader.ts";
import { sampleCapture } from "../demo/sample_capture.ts";
import { produceToRing } from "../ring/producer.ts";
import { consumeFromRing } from "../ring/consumer.ts";
import { textSink } from "../ring/text_sink.ts";

const EXAMPLES = `
The sample holds 16 packets: ARP, ICMP echo, DNS, a TCP session, IPv6 UDP and
ICMPv6, and a VLAN-tagged flow. The ring is a file in a temporary directory,
removed at the end.

Examples:
  fmagent demo
  npx fmagent demo
`;

function demoCommand() {
  return newCommand(
    "demo",
    "replay the built-in sample capture through a temporary ring and print it",
  )
    .addHelpText("after", EXAMPLES);
}

export function run(args: readonly string[], io: Io): Promise<number> {
  return guarded(io, async () => {
    const parsed = await parseArgs(demoCommand(), args, io);
    if (!parsed.ok) return parsed.exitCode;
    const dir = await Deno.makeTempDir({ prefix: "fmagent-demo-" });
    try {
      const ring = `${dir}/lxc_ring0`;
      const sample = {
        name: "sample capture",
        open: async () => ({
          reader: await CaptureReader.open(bytesReader(sampleCapture()), "sample capture"),
          close: () => {},
        }),
      };
      // 16 packets fit in the ring's 1023 free slots: produce all, then consume all.
      const produced = await produceToRing(ring, [sample], { mode: 0o600 });
      const consumed = await consumeFromRing(ring, textSink(io.stdout), { signal: io.signal });
      await writeText(
        io.stdout,
        `${consumed.packets} packets, ${consumed.bytes} bytes through a temporary FMAD ring ` +
          `(${produced.packets} produced, end of stream ${
            consumed.endOfStream ? "seen" : "missing"
          })\n`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    return EXIT_OK;
  });
}

/** `fmagent produce`: capture files into an FMAD ring (host side, the stream_cat / pcap2fmadio role). */
import { InvalidArgumentError } from "./arg_parser.ts";
import { guarded, integerOption, newCommand, parseArgs } from "./command.ts";
import { type ByteReader, EXIT_OK, type Io, printError } from "./io.ts";
import {
  CAPTURE_READ_BUFFER,
  CaptureReader,
  type CaptureReaderOptions,
} from "../pcap/capture_reader.ts";
import { followFile } from "../pcap/follow_reader.ts";
import { describeOpenError, openCaptureFile, openInputFile } from "../pcap/open_capture.ts";
import { UserError } from "./errors.ts";
import { type CaptureSource, produceToRing } from "../ring/producer.ts";
import {
  DEFAULT_RING_PATH,
  parseEpochNs,
  parseFileMode,
  parseNanoseconds,
} from "../ring/options.ts";
import { loadRingFilter } from "../ring/ring_filter.ts";
import { SLOT_PAYLOAD_MAX } from "../ring/layout.ts";

/**
 * The input buffer: small enough to stay in the CPU cache between the read
 * that fills it and the copy into the ring (4 MiB halved throughput here).
 */
const READER_OPTIONS = { bufferSize: CAPTURE_READ_BUFFER };

const EXAMPLES = `
Examples:
  fmagent produce -i /opt/fmadio/queue/lxc_ring0 capture.pcap
      replay a capture into the container's ring (waits for the consumer)
  fmagent produce -v --follow /capture/live.pcap
      follow a capture that is still being written; Ctrl-C ends it
  tcpdump -i eth0 -w - | fmagent produce -
      produce from stdin
  fmagent produce --bpf 'tcp port 443' --pktslice 128 a.pcap b.pcapng
  fmagent produce --eof-only        tell a running consumer the stream has ended

Packets longer than ${SLOT_PAYLOAD_MAX} bytes are cut to ${SLOT_PAYLOAD_MAX} (wire length kept) and counted.
Unread packets of an earlier session stay queued ahead of this session's
(their end-of-stream mark is cleared); --reset drops them.
`;

/** Turns a RangeError-throwing parser into an option value parser. */
function option<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

export function run(args: readonly string[], io: Io): Promise<number> {
  return guarded(io, async () => {
    const command = newCommand(
      "produce",
      "write capture files (pcap, pcapng, stdin) into an FMAD ring",
    )
      .argument("[file...]", "capture files in order; '-' or none reads stdin")
      .option("-i, --ring <path>", "ring file", DEFAULT_RING_PATH)
      .option("-c, --count <n>", "stop after writing n packets", integerOption(1))
      .option(
        "--pktslice <bytes>",
        "keep at most this many bytes of each packet",
        integerOption(1, SLOT_PAYLOAD_MAX),
      )
      .option("--bpf <expression>", "write only packets matching a tcpdump filter")
      .option("--program <file>", "write only packets matching a BPF program (tcpdump -ddd format)")
      .option(
        "--epoch-start <ns>",
        "skip packets before this epoch time in ns",
        option(parseEpochNs),
      )
      .option(
        "--epoch-stop <ns>",
        "skip packets at or after this epoch time in ns",
        option(parseEpochNs),
      )
      .option("--follow", "after the last file's end keep reading it as it grows; Ctrl-C ends")
      .option(
        "--timeout <ns>",
        "give up when the consumer takes nothing this long (default 30e9 = 30 s; 0 = never)",
        option(parseNanoseconds),
      )
      .option("--no-eof", "do not send the end-of-stream slot at the end")
      .option("--eof-only", "read nothing; send only the end-of-stream slot")
      .option(
        "--reset",
        "re-initialise the ring (drops unread packets; a running consumer loses them)",
      )
      .option(
        "--mode <octal>",
        "mode of a ring file created here, less the umask (default 0666)",
        option(parseFileMode),
      )
      .option("--no-sleep", "busy-poll while the ring is full (one full core, lowest latency)")
      .option("--cpu <n>", "pin to this CPU", integerOption(0, 1023))
      .option("-v, --verbose", "one status line a second on stderr")
      .addHelpText("after", EXAMPLES);
    const parsed = await parseArgs(command, args, io);
    if (!parsed.ok) return parsed.exitCode;
    const o = command.opts<{
      ring: string;
      count?: number;
      pktslice?: number;
      bpf?: string;
      program?: string;
      epochStart?: { sec: number; nsec: number };
      epochStop?: { sec: number; nsec: number };
      follow?: boolean;
      timeout?: number;
      eof: boolean;
      eofOnly?: boolean;
      reset?: boolean;
      mode?: number;
      sleep: boolean;
      cpu?: number;
      verbose?: boolean;
    }>();
    const files = command.args.length === 0 ? ["-"] : command.args;
    const filter = await loadRingFilter(o.bpf, o.program);
    const sources = await Promise.all(
      files.map((path, i) => captureSource(path, io, o.follow === true && i === files.length - 1)),
    );
    const notices: Promise<void>[] = [];
    const summary = await produceToRing(o.ring, sources, {
      reset: o.reset === true,
      mode: o.mode ?? 0o666,
      timeoutNs: o.timeout ?? 30e9,
      endOfStream: o.eof,
      eofOnly: o.eofOnly === true,
      noSleep: !o.sleep,
      signal: io.signal,
      onNotice: (message) => void notices.push(printError(io, message)),
      ...(o.count === undefined ? {} : { count: o.count }),
      ...(o.pktslice === undefined ? {} : { pktslice: o.pktslice }),
      ...(o.epochStart === undefined ? {} : { epochStart: o.epochStart }),
      ...(o.epochStop === undefined ? {} : { epochStop: o.epochStop }),
      ...(o.cpu === undefined ? {} : { cpu: o.cpu }),
      ...(filter === undefined ? {} : { filter }),
      ...(o.verbose === true ? { onStatus: (line: string) => printError(io, line) } : {}),
    });
    await Promise.all(notices);
    const parts = [
      `${summary.packets} packets, ${summary.bytes} bytes into ${o.ring}`,
      summary.endOfStream ? "end of stream sent" : "no end of stream",
    ];
    if (summary.skipped > 0) parts.push(`${summary.skipped} skipped by filter/time window`);
    if (summary.interrupted) parts.push("interrupted");
    await printError(io, `produce: ${parts.join(", ")}`);
    if (summary.truncated > 0) {
      await printError(
        io,
        `produce: ${summary.truncated} packets longer than ${SLOT_PAYLOAD_MAX} bytes were cut to ` +
          `${SLOT_PAYLOAD_MAX} (wire length kept)`,
      );
    }
    if (summary.empty > 0) {
      await printError(
        io,
        `produce: ${summary.empty} packets with no captured bytes were not sent (the ring cannot carry them)`,
      );
    }
    if (summary.wireClamped > 0) {
      await printError(
        io,
        `produce: ${summary.wireClamped} packets had a wire length over 65535, stored as 65535`,
      );
    }
    return EXIT_OK;
  });
}

/** A producer input for `path`: its size for PendingB, opened when its turn comes. */
async function captureSource(path: string, io: Io, follow: boolean): Promise<CaptureSource> {
  let size: number | undefined;
  if (path !== "-") {
    // A missing input fails now, before the ring is touched or a packet sent.
    try {
      const info = await Deno.stat(path);
      if (info.isDirectory) throw new Deno.errors.IsADirectory();
      if (info.isFile) size = info.size;
    } catch (error) {
      throw new UserError(`Cannot read ${path}: ${describeOpenError(error)}`);
    }
  }
  // A regular file is read synchronously: an async read costs a thread
  // hand-off per call, as much as the copy itself (stdin and pipes stay async).
  const open = path === "-" || size === undefined
    ? (buffer?: Uint8Array) => openCaptureFile(path, io.stdin, readerOptions(buffer))
    : async (buffer?: Uint8Array) => {
      const file = await openInputFile(path);
      try {
        const input = syncReader(file);
        const reader = await CaptureReader.open(
          follow ? followFile(input, io.signal) : input,
          path,
          readerOptions(buffer),
        );
        return { reader, close: () => file.close() };
      } catch (error) {
        file.close();
        throw error;
      }
    };
  return size === undefined ? { name: path, open } : { name: path, size, open };
}

/** The reader's options, with the producer's refill buffer when it lends one. */
function readerOptions(buffer: Uint8Array | undefined): CaptureReaderOptions {
  return buffer === undefined ? READER_OPTIONS : { ...READER_OPTIONS, buffer };
}

function syncReader(file: { readSync(into: Uint8Array): number | null }): ByteReader {
  return { read: (into) => Promise.resolve(file.readSync(into)) };
}

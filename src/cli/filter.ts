/**
 * `fmagent filter`: capture file in (pcap or pcapng, file or stdin), packets
 * that match the filter out as pcap. With no expression it copies every
 * packet — the way to turn pcapng into pcap.
 */
import { Option } from "./arg_parser.ts";
import { guarded, integerOption, newCommand, parseArgs } from "./command.ts";
import { usageError } from "./errors.ts";
import { type ByteWriter, EXIT_OK, EXIT_USAGE, type Io, printError, writeText } from "./io.ts";
import { openOutputFile } from "./output_file.ts";
import { progressLine } from "./progress.ts";
import { resolveFilter } from "./filter_source.ts";
import { openCaptureFile } from "../pcap/open_capture.ts";
import { PcapWriter, type TimestampPrecision } from "../pcap/pcap_writer.ts";
import { writesSynchronously } from "../pcap/sync_io.ts";
import { PCAP_RECORD_HEADER_LENGTH } from "../pcap/pcap_format.ts";
import { MAX_SNAPLEN } from "../pcap/link_type.ts";

const EXAMPLES = `
Examples:
  fmagent filter -r capture.pcapng -w capture.pcap          convert pcapng to pcap (nanosecond)
  fmagent filter -r in.pcap -w dns.pcap udp port 53         keep DNS
  fmagent filter -r in.pcap --count 'tcp[tcpflags] & tcp-syn != 0'
  cat in.pcap | fmagent filter 'vlan and ip' | tcpdump -r - -nn
  fmagent filter -r in.pcap -w old.pcap --time-stamp-precision micro
`;

interface FilterFlags {
  r: string;
  w: string;
  c?: number;
  s: number;
  count?: boolean;
  F?: string;
  program?: string;
  netmask?: string;
  timeStampPrecision: TimestampPrecision;
  v?: boolean;
}

function filterCommand() {
  return newCommand(
    "filter",
    "copy packets matching a tcpdump filter from a capture file to a pcap",
  )
    .usage("[options] [expression...]")
    .argument("[expression...]", "tcpdump filter expression (several words are joined with spaces)")
    .option("-r <file>", "read packets from FILE, pcap or pcapng ('-' = stdin)", "-")
    .option("-w <file>", "write matching packets to FILE as pcap ('-' = stdout)", "-")
    .option("-c <count>", "stop after COUNT matching packets", integerOption(1))
    .option(
      "-s <snaplen>",
      "cut each written packet to SNAPLEN bytes (0 = 262144)",
      integerOption(0, MAX_SNAPLEN),
      MAX_SNAPLEN,
    )
    .option("--count", "print only the number of matching packets")
    .option("-F <file>", "read the filter expression from FILE")
    .option("--program <file>", "use a compiled BPF program in `fmagent bpf -ddd` format")
    .option("--netmask <mask>", "netmask for 'ip broadcast' (dotted IPv4)")
    .addOption(
      new Option("--time-stamp-precision <unit>", "timestamp unit of the output")
        .choices(["nano", "micro"])
        .default("nano"),
    )
    .option("-v", "print a progress line each second and a summary on stderr")
    .addHelpText("after", EXAMPLES);
}

export function run(args: readonly string[], io: Io): Promise<number> {
  return guarded(io, async () => {
    const parsed = await parseArgs(filterCommand(), args, io);
    if (!parsed.ok) return parsed.exitCode;
    const flags = parsed.command.opts<FilterFlags>();
    const words = parsed.command.args;
    if (flags.count && flags.w !== "-") {
      throw usageError("--count prints a number; it does not take -w");
    }
    return await filterCapture(flags, words, io);
  });
}

/**
 * A blocking write for an output whose writes never wait (/dev/null and
 * other character devices that are not terminals): it skips the async op's
 * round trip. Files, pipes and terminals keep async writes, which let the
 * event loop (and so the Ctrl-C handler) run while the kernel is busy.
 */
function markSyncWrites(sink: ByteWriter): void {
  if (!(sink instanceof Deno.FsFile) || sink === Deno.stdout) return;
  if (sink.statSync().isCharDevice && !sink.isTerminal()) {
    writesSynchronously(sink, (bytes) => sink.writeSync(bytes));
  }
}

async function filterCapture(
  flags: FilterFlags,
  words: readonly string[],
  io: Io,
): Promise<number> {
  const input = await openCaptureFile(flags.r, io.stdin);
  try {
    const reader = input.reader;
    const linkType = reader.linkType;
    const snaplen = flags.s === 0 ? MAX_SNAPLEN : flags.s;
    const filter = await resolveFilter(
      { words, expressionFile: flags.F, programFile: flags.program, netmask: flags.netmask },
      linkType,
      snaplen,
    );
    const match = filter?.match;
    const output = flags.count ? undefined : await openOutputFile(flags.w, io);
    if (output !== undefined) markSyncWrites(output.writer);
    const writer = output &&
      new PcapWriter(output.writer, {
        linkType,
        snaplen,
        precision: flags.timeStampPrecision,
      });
    const limit = flags.c ?? Infinity;
    const progress = progressLine(io, flags.v === true);
    let seen = 0;
    let matched = 0;
    // Little-endian pcap in: the records a batch keeps whole are packed
    // together in the reader's buffer (each moved down over the dropped ones
    // before it) and written as one run per batch, straight from that buffer:
    // no per-packet copy call, allocation or await (PcapWriter.writeRecords).
    const layout = reader.pcapLayout;
    const runs = writer !== undefined && layout !== undefined && layout.littleEndian;
    const nanosecondInput = layout?.nanosecond ?? true;
    try {
      read: for (;;) {
        // Ctrl-C: stop between batches; what was written stays a valid pcap.
        if (io.signal.aborted) break;
        const batch = await reader.next();
        if (batch === null) break;
        const { bytes, offset, caplen, wirelen, sec, nsec } = batch;
        let runStart = 0;
        let runEnd = 0;
        let runCount = 0;
        let i = 0;
        for (; i < batch.count; i++) {
          if (batch.linkType[i] !== linkType) {
            throw usageError(
              `Cannot write ${output?.name ?? "output"}: the capture mixes link types ` +
                `${linkType} and ${batch.linkType[i]}, which one pcap file cannot hold`,
            );
          }
          const start = offset[i]!;
          const captured = caplen[i]!;
          let keep = captured;
          if (match !== undefined) {
            const verdict = match(bytes, start, captured, wirelen[i]!);
            if (verdict === 0) continue;
            if (verdict < keep) keep = verdict;
          }
          if (keep > snaplen) keep = snaplen;
          matched++;
          if (writer !== undefined) {
            const recordStart = start - PCAP_RECORD_HEADER_LENGTH;
            const recordEnd = start + captured;
            if (runs && keep === captured) {
              if (runCount === 0) {
                runStart = recordStart;
                runEnd = recordEnd;
              } else {
                // Moves down over records already handled only; later ones stay put.
                if (recordStart !== runEnd) bytes.copyWithin(runEnd, recordStart, recordEnd);
                runEnd += recordEnd - recordStart;
              }
              runCount++;
            } else {
              if (runCount > 0) {
                await writer.writeRecords(bytes, runStart, runEnd, runCount, nanosecondInput);
                runCount = 0;
              }
              if (writer.room < keep + PCAP_RECORD_HEADER_LENGTH) await writer.flush();
              writer.append(bytes, start, keep, wirelen[i]!, sec[i]!, nsec[i]!);
            }
          }
          if (matched >= limit) {
            i++;
            break;
          }
        }
        if (runCount > 0) {
          await writer!.writeRecords(bytes, runStart, runEnd, runCount, nanosecondInput);
        }
        seen += i;
        if (matched >= limit) break read;
        await progress.tick(() =>
          `${flags.r}: ${reader.position} bytes read, ${seen} packets, ${matched} matched`
        );
      }
      await writer?.flush();
    } finally {
      output?.close();
    }
    await progress.end();
    if (flags.count) await writeText(io.stdout, `${matched}\n`);
    if (flags.v) {
      await writeText(
        io.stderr,
        `${seen} packets read, ${matched} matched${filter ? ` by '${filter.description}'` : ""}\n`,
      );
    }
    if (io.signal.aborted) {
      await printError(io, `filter: interrupted after ${seen} packets, ${matched} written`);
      return EXIT_OK;
    }
    if (reader.truncation !== undefined) {
      await printError(
        io,
        `Cannot read ${reader.name}: ${reader.truncation}; the ${seen} packets before it were processed`,
      );
      return EXIT_USAGE;
    }
    return EXIT_OK;
  } finally {
    input.close();
  }
}

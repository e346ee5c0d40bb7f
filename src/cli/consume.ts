/** `fmagent consume`: packets from an FMAD ring as nanosecond pcap (container side, the fmadio2pcap role). */
import { guarded, integerOption, newCommand, parseArgs } from "./command.ts";
import { type ByteWriter, EXIT_OK, type Io, printError } from "./io.ts";
import { UserError } from "./errors.ts";
import { MAX_SNAPLEN } from "../pcap/link_type.ts";
import { consumeFromRing, type ConsumeSummary, type RingPacketSink } from "../ring/consumer.ts";
import { DEFAULT_RING_PATH } from "../ring/options.ts";
import { pcapSink } from "../ring/pcap_sink.ts";
import { loadRingFilter } from "../ring/ring_filter.ts";
import { textSink } from "../ring/text_sink.ts";
import { vectorPcapSink } from "../ring/vector_sink.ts";
import { HOST_LITTLE_ENDIAN, SLOT_PAYLOAD_ROOM } from "../ring/layout.ts";
import { vectorIo } from "../../ffi/vector_io.deno.ts";

const EXAMPLES = `
Examples:
  fmagent consume -i /opt/fmadio/queue/lxc_ring0 -w capture.pcap
      write the ring's packets to a file until the producer's end of stream
  fmagent consume | tcpdump -r - -nn
      watch live (output is flushed within 10 ms when the ring goes idle)
  fmagent consume --print -c 20       print 20 packets as text lines
  fmagent consume --latest -U -w - | wireshark -k -i -

Starts at the ring's read position, so packets queued before it started are
delivered (--latest skips them, as fmadio2pcap does). A packet leaves the ring
only after its bytes were handed to the OS: a consumer that is stopped or
killed and restarted delivers every packet at least once, in order.
Ends on the producer's end of stream, -c, Ctrl-C/SIGTERM (exit 0), or a closed pipe (exit 0).
On a ring without flow control (pcap2fmadio creates its rings so) the producer
may overwrite packets before they are read: those are counted as lost in the
summary, never written damaged. Create the ring with 'fmagent produce -i RING
--eof-only --no-eof' first to keep flow control on.
`;

export function run(args: readonly string[], io: Io): Promise<number> {
  return guarded(io, async () => {
    const command = newCommand("consume", "read packets from an FMAD ring as nanosecond pcap")
      .option("-i, --ring <path>", "ring file", DEFAULT_RING_PATH)
      .option("-w, --write <file>", "pcap output file, '-' for stdout", "-")
      .option("-c, --count <n>", "stop after n packets", integerOption(1))
      .option(
        "-s, --snaplen <bytes>",
        "keep at most this many bytes of each packet",
        integerOption(1, MAX_SNAPLEN),
      )
      .option("-U, --packet-buffered", "flush the output (and free the slot) after every packet")
      .option("--latest", "skip packets already queued; start with the next one put")
      .option("--print", "print one tcpdump -nn style line per packet instead of pcap")
      .option("--bpf <expression>", "deliver only packets matching a tcpdump filter")
      .option(
        "--program <file>",
        "deliver only packets matching a BPF program (tcpdump -ddd format)",
      )
      .option("--no-sleep", "busy-poll while the ring is empty (one full core, lowest latency)")
      .option("--cpu <n>", "pin to this CPU", integerOption(0, 1023))
      .option("-v, --verbose", "one status line a second on stderr")
      .addHelpText("after", EXAMPLES);
    const parsed = await parseArgs(command, args, io);
    if (!parsed.ok) return parsed.exitCode;
    const o = command.opts<{
      ring: string;
      write: string;
      count?: number;
      snaplen?: number;
      packetBuffered?: boolean;
      latest?: boolean;
      print?: boolean;
      bpf?: string;
      program?: string;
      sleep: boolean;
      cpu?: number;
      verbose?: boolean;
    }>();
    const filter = await loadRingFilter(o.bpf, o.program);
    const output = await openOutput(o.write, io, o.print !== true && canWriteVectors);
    let discard: Output | undefined;
    try {
      const sinkOptions = o.snaplen === undefined ? {} : { snaplen: o.snaplen };
      const sinkTo = (to: Output): RingPacketSink =>
        to.fd !== undefined
          ? vectorPcapSink(to.fd, vectorIo!, sinkOptions)
          : o.print === true
          ? textSink(to.writer)
          : pcapSink(to.writer, sinkOptions);
      const sink = sinkTo(output);
      // The same kind of sink, into nothing, for the warm-up before the first packet
      // (not for --print: formatting a million lines would cost more than it saves).
      discard = o.print === true ? undefined : openDiscard(output.fd !== undefined);
      const warmSink = discard === undefined ? undefined : sinkTo(discard);
      const notices: Promise<void>[] = [];
      let summary: ConsumeSummary;
      try {
        summary = await consumeFromRing(o.ring, sink, {
          latest: o.latest === true,
          flushEachPacket: o.packetBuffered === true,
          noSleep: !o.sleep,
          signal: io.signal,
          onNotice: (message) => void notices.push(printError(io, message)),
          ...(o.count === undefined ? {} : { count: o.count }),
          ...(o.cpu === undefined ? {} : { cpu: o.cpu }),
          ...(filter === undefined ? {} : { filter }),
          ...(o.verbose === true ? { onStatus: (line: string) => printError(io, line) } : {}),
          ...(warmSink === undefined
            ? {}
            : { warmUp: { sink: warmSink, packets: WARM_UP_PACKETS } }),
        });
      } catch (error) {
        // The reader went away (`| head`): a normal end, not a failure.
        if (error instanceof Deno.errors.BrokenPipe) return EXIT_OK;
        throw error;
      }
      const parts = [
        `${summary.packets} packets`,
        `${summary.bytes} bytes`,
        `${summary.fcsErrors} FCS errors`,
      ];
      if (summary.skipped > 0) parts.push(`${summary.skipped} filtered out`);
      if (summary.skippedAtStart > 0) parts.push(`${summary.skippedAtStart} skipped by --latest`);
      if (summary.lost > 0) parts.push(`${summary.lost} lost to producer overruns`);
      if (summary.oversized > 0) {
        parts.push(
          `${summary.oversized} slots claiming over ${SLOT_PAYLOAD_ROOM} bytes cut to ${SLOT_PAYLOAD_ROOM}`,
        );
      }
      parts.push(
        summary.endOfStream
          ? "end of stream"
          : summary.interrupted
          ? "interrupted"
          : "count reached",
      );
      await printError(io, `consume: ${parts.join(", ")}`);
      return EXIT_OK;
    } finally {
      discard?.close();
      output.close();
    }
  });
}

/**
 * Packets of the warm-up (ConsumeOptions.warmUp): enough for V8 to finish
 * compiling the hot loops, the consumer's outer loop included (~0.1–0.2 s at
 * start-up, only when the ring is empty).
 */
const WARM_UP_PACKETS = 300_000;

/** An output that discards everything: /dev/null as a descriptor for writev, or a null writer. */
function openDiscard(vectors: boolean): Output {
  if (vectors) {
    const fd = vectorIo!.openWrite("/dev/null");
    if (fd >= 0) return { fd, close: () => vectorIo!.close(fd) };
  }
  return {
    writer: { write: (bytes: Uint8Array) => Promise.resolve(bytes.length) },
    close: () => {},
  };
}

/**
 * A ByteWriter over a Deno file or stdout that writes synchronously: an async
 * write costs a thread hand-off per call (tens of µs), and the consumer has
 * nothing else to do while its output drains.
 */
function syncWriter(target: { writeSync(bytes: Uint8Array): number }): ByteWriter {
  return { write: (bytes) => Promise.resolve(target.writeSync(bytes)) };
}

/** Where consume writes: a ByteWriter, or a file descriptor for the zero-copy sink. */
type Output =
  | { readonly writer: ByteWriter; readonly fd?: undefined; close(): void }
  | { readonly fd: number; close(): void };

/** Records go out with writev (zero copy) where the output is a descriptor of this process. */
const canWriteVectors = vectorIo !== undefined && HOST_LITTLE_ENDIAN;
const STDOUT_FD = 1;

async function openOutput(path: string, io: Io, vectors: boolean): Promise<Output> {
  if (path === "-") {
    if (io.stdout !== Deno.stdout) return { writer: io.stdout, close: () => {} };
    if (vectors) return { fd: STDOUT_FD, close: () => {} };
    return { writer: syncWriter(Deno.stdout), close: () => {} };
  }
  try {
    // Deno opens (creates, truncates) the file and names any failure exactly;
    // the descriptor for writev is a second open of the same file.
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const fd = vectors ? vectorIo!.openWrite(path) : -1;
    if (fd < 0) return { writer: syncWriter(file), close: () => file.close() };
    file.close();
    return { fd, close: () => vectorIo!.close(fd) };
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such directory"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : error instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : String(error);
    throw new UserError(`Cannot write ${path}: ${reason}`, 1);
  }
}

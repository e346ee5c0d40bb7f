/**
 * fmagent's entry point: picks the subcommand, runs it, and is the only place
 * that exits the process.
 */
import { COMMANDS } from "./commands.ts";
import { EXIT_OK, EXIT_USAGE, type Io, printError, writeText } from "./io.ts";
import { VERSION } from "../version.ts";
import { denoIo } from "./io_deno.ts";

export const TOP_HELP = `Usage: fmagent <command> [options]

Packet agent for FMADIO capture appliances: moves packets between capture
files and the FMAD ring shared with LXC containers, with its own compiler for
the tcpdump filter language.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)}${c.summary}`).join("\n")}

Options:
  -h, --help     show this help (also: fmagent <command> --help)
  -V, --version  print the version

Examples:
  fmagent demo
  fmagent produce -i /opt/fmadio/queue/lxc_ring0 capture.pcap
  fmagent consume | tcpdump -r - -nn
  fmagent stat --watch 1
  fmagent filter -r in.pcapng -w out.pcap 'tcp port 443'
  fmagent bpf -d 'udp and port 53'
`;

/** Runs fmagent with `args` (without the program name) and returns the exit status. */
export async function main(args: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    if (first === "help" && rest[0] !== undefined) return main([rest[0], "--help"], io);
    await writeText(io.stdout, TOP_HELP);
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === "-V" || first === "--version") {
    await writeText(io.stdout, `fmagent ${VERSION}\n`);
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === first);
  if (entry === undefined) {
    await printError(
      io,
      `unknown command '${first}' (commands: ${
        COMMANDS.map((c) => c.name).join(", ")
      }; see 'fmagent --help')`,
    );
    return EXIT_USAGE;
  }
  const { run } = await entry.load();
  return await run(rest, io);
}

if (import.meta.main) {
  const { io, dispose } = denoIo();
  const code = await main(Deno.args, io);
  dispose();
  Deno.exit(code);
}

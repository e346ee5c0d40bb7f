import type { CommandRun } from "./io.ts";

/** One subcommand: its one-line summary for the top-level help, and its module, loaded on use. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<{ run: CommandRun }>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "produce",
    summary: "write capture files (pcap, pcapng, stdin, a growing file) into an FMAD ring",
    load: () => import("./produce.ts"),
  },
  {
    name: "consume",
    summary: "read packets from an FMAD ring as nanosecond pcap (stdout or a file)",
    load: () => import("./consume.ts"),
  },
  {
    name: "stat",
    summary: "show an FMAD ring's header and counters",
    load: () => import("./stat.ts"),
  },
  {
    name: "filter",
    summary: "copy packets matching a tcpdump filter from a capture file to a pcap",
    load: () => import("./filter.ts"),
  },
  {
    name: "bpf",
    summary: "compile a tcpdump filter to classic BPF and print it (-d, -dd, -ddd)",
    load: () => import("./bpf.ts"),
  },
  {
    name: "demo",
    summary: "replay the built-in sample capture through a temporary ring and print it",
    load: () => import("./demo.ts"),
  },
];

/**
 * `fmagent bpf`: compile a tcpdump filter expression (or load a `-ddd`
 * program) and print it in tcpdump's -d, -dd or -ddd format.
 */
import { guarded, newCommand, parseArgs } from "./command.ts";
import { EXIT_OK, type Io, writeText } from "./io.ts";
import { usageError } from "./errors.ts";
import { filterExpression, parseNetmask } from "./filter_source.ts";
import type { RawProgram } from "../bpf/program/raw_instruction.ts";

const HELP_AFTER = `
Formats (as tcpdump prints them):
  -d     one line per instruction, human readable (the default)
  -dd    a C array initialiser
  -ddd   decimal: the count, then "code jt jf k" per line (what --program reads)

Examples:
  fmagent bpf 'udp and port 53'
  fmagent bpf -ddd 'tcp[tcpflags] & tcp-syn != 0' > syn.bpf
  fmagent bpf -d --program syn.bpf
  fmagent bpf -F filter.txt
  fmagent bpf --netmask 255.255.255.0 ip broadcast
  fmagent bpf -O 'host 1.2.3.4'     # the program before optimisation, as tcpdump -O -d
`;

/** Grouped short flags would read `-dd` as `-d -d`; tcpdump's spellings become long options first. */
function spellOutDumpFlags(args: readonly string[]): string[] {
  const out: string[] = [];
  let ended = false;
  for (const arg of args) {
    if (!ended && arg === "--") ended = true;
    if (!ended && (arg === "-dd" || arg === "-ddd")) out.push(`-${arg}`);
    else out.push(arg);
  }
  return out;
}

export function run(args: readonly string[], io: Io): Promise<number> {
  return guarded(io, async () => {
    const command = newCommand(
      "bpf",
      "compile a tcpdump filter to classic BPF and print it (-d, -dd, -ddd)",
    )
      .usage("[-d|-dd|-ddd] [-F FILE | --program FILE] [--netmask MASK] [EXPRESSION...]")
      .option("-d", "print the program human readable (default)")
      .option("--dd", "print the program as a C array (also spelled -dd)")
      .option("--ddd", "print the program in decimal (also spelled -ddd)")
      .option("-F, --file <FILE>", "read the filter expression from FILE ('#' starts a comment)")
      .option("--program <FILE>", "load a compiled program in -ddd format instead of an expression")
      .option("--netmask <MASK>", "IPv4 netmask for 'ip broadcast', e.g. 255.255.255.0")
      .option(
        "-O, --no-optimize",
        "print the program as built, without the optimiser (as tcpdump -O)",
      )
      .argument("[expression...]", "the filter expression; several words are joined with spaces")
      .addHelpText("after", HELP_AFTER);
    const parsed = await parseArgs(command, spellOutDumpFlags(args), io);
    if (!parsed.ok) return parsed.exitCode;
    const opts = parsed.command.opts<{
      d?: boolean;
      dd?: boolean;
      ddd?: boolean;
      file?: string;
      program?: string;
      netmask?: string;
      optimize: boolean;
    }>();
    const chosen = [opts.d, opts.dd, opts.ddd].filter(Boolean).length;
    if (chosen > 1) throw usageError("give one of -d, -dd, -ddd");
    const level = opts.ddd ? 3 : opts.dd ? 2 : 1;
    const words = parsed.command.args;
    let program: RawProgram;
    if (opts.program !== undefined) {
      if (words.length > 0 || opts.file !== undefined) {
        throw usageError("give either a filter expression or --program, not both");
      }
      let text: string;
      try {
        text = await Deno.readTextFile(opts.program);
      } catch (error) {
        throw usageError(`Cannot read --program file ${opts.program}: ${(error as Error).message}`);
      }
      const { parseProgramText } = await import("../bpf/program/parse_program.ts");
      const { validateProgram } = await import("../bpf/program/validate.ts");
      program = parseProgramText(text, opts.program);
      validateProgram(program, opts.program);
    } else {
      const expression = await filterExpression({ words, expressionFile: opts.file }) ?? "";
      const { compileProgram } = await import("../bpf/compile_filter.ts");
      const optimize = opts.optimize;
      program = compileProgram(
        expression,
        opts.netmask === undefined
          ? { optimize, exactGencode: !optimize }
          : { optimize, exactGencode: !optimize, netmask: parseNetmask(opts.netmask) },
      );
    }
    const { dumpProgram } = await import("../bpf/program/dump.ts");
    await writeText(io.stdout, dumpProgram(program, level));
    return EXIT_OK;
  });
}

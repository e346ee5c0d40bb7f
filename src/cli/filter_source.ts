/**
 * Where a filter comes from on any command: expression words (tcpdump style),
 * `-F FILE` holding the expression, or `--program FILE` holding a compiled
 * program in `-ddd` format. Resolves them to one packet matcher. The
 * compiler is loaded only when a filter is given, so plain copies start fast.
 */
import type { PacketMatcher } from "../bpf/program/interpret.ts";
import { usageError } from "./errors.ts";
import { describeOpenError } from "../pcap/open_capture.ts";

export interface FilterSource {
  /** Expression words as given on the command line (joined with spaces). */
  readonly words?: readonly string[];
  /** `-F FILE`: the expression is in this file ('#' starts a comment). */
  readonly expressionFile?: string | undefined;
  /** `--program FILE`: a compiled program in `-ddd` format. */
  readonly programFile?: string | undefined;
  /** `--netmask A.B.C.D`, for `ip broadcast`. */
  readonly netmask?: string | undefined;
}

export interface ResolvedFilter {
  /** The expression as compiled, or the program file's name. */
  readonly description: string;
  readonly match: PacketMatcher;
}

/** Reads a text file for a filter option; a missing file is a usage error. */
async function readOptionFile(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw usageError(`Cannot read ${flag} file ${path}: ${describeOpenError(error)}`);
  }
}

/** Parses a dotted IPv4 netmask to its u32 value. */
export function parseNetmask(text: string): number {
  const parts = text.split(".");
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (bytes.length !== 4 || bytes.some((b) => !(b >= 0 && b <= 255))) {
    throw usageError(
      `Invalid --netmask ${text}: expected a dotted IPv4 mask such as 255.255.255.0`,
    );
  }
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

/** The expression text the source names, or undefined when it names none. */
export async function filterExpression(source: FilterSource): Promise<string | undefined> {
  const words = source.words ?? [];
  if (source.expressionFile !== undefined) {
    if (words.length > 0) {
      throw usageError("give the filter expression either as words or with -F, not both");
    }
    const text = await readOptionFile("-F", source.expressionFile);
    return text.split("\n").map((line) => line.replace(/#.*$/, "")).join(" ").trim();
  }
  return words.length > 0 ? words.join(" ") : undefined;
}

/** The matcher for `source`, or undefined when no filter was given (every packet passes). */
export async function resolveFilter(
  source: FilterSource,
  linkType: number,
  snaplen: number,
): Promise<ResolvedFilter | undefined> {
  const expression = await filterExpression(source);
  if (source.programFile !== undefined) {
    if (expression !== undefined) {
      throw usageError("give either a filter expression or --program, not both");
    }
    const text = await readOptionFile("--program", source.programFile);
    const { parseProgramText } = await import("../bpf/program/parse_program.ts");
    const { jitCompile } = await import("../bpf/program/jit.ts");
    return {
      description: source.programFile,
      match: jitCompile(parseProgramText(text, source.programFile)),
    };
  }
  if (expression === undefined || expression === "") return undefined;
  const options = source.netmask === undefined
    ? { linkType, snaplen }
    : { linkType, snaplen, netmask: parseNetmask(source.netmask) };
  const { compileFilter } = await import("../bpf/compile_filter.ts");
  return { description: expression, match: compileFilter(expression, options).match };
}

/**
 * The filter of `produce`/`consume`: a tcpdump expression (--bpf) or a
 * precompiled program in tcpdump -ddd format (--program FILE), as a matcher
 * for Ethernet packets. Returns undefined when neither is given.
 */
import { UserError } from "../cli/errors.ts";
import { LINKTYPE_ETHERNET } from "../pcap/link_type.ts";
import type { PacketMatcher } from "./producer.ts";

export async function loadRingFilter(
  expression: string | undefined,
  programFile: string | undefined,
): Promise<PacketMatcher | undefined> {
  if (expression !== undefined && programFile !== undefined) {
    throw new UserError("Cannot use both --bpf and --program: give one filter");
  }
  if (programFile !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(programFile);
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
      throw new UserError(`Cannot read ${programFile}: ${reason}`);
    }
    // Loaded on use: the filter compiler is a large part of fmagent's start-up otherwise.
    const { jitCompile } = await import("../bpf/program/jit.ts");
    const { parseProgramText } = await import("../bpf/program/parse_program.ts");
    return jitCompile(parseProgramText(text, programFile));
  }
  if (expression !== undefined) {
    const { compileFilter } = await import("../bpf/compile_filter.ts");
    return compileFilter(expression, { linkType: LINKTYPE_ETHERNET }).match;
  }
  return undefined;
}

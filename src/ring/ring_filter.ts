/**
 * The filter of `produce`/`consume`: a tcpdump expression (--bpf) or a
 * precompiled program in tcpdump -ddd format (--program FILE), as a matcher
 * for Ethernet packets — resolved the same way as `fmagent filter`'s.
 * Returns undefined when neither is given.
 */
import { usageError } from "../cli/errors.ts";
import { LINKTYPE_ETHERNET, MAX_SNAPLEN } from "../pcap/link_type.ts";
import type { PacketMatcher } from "./producer.ts";

export async function loadRingFilter(
  expression: string | undefined,
  programFile: string | undefined,
): Promise<PacketMatcher | undefined> {
  if (expression !== undefined && programFile !== undefined) {
    throw usageError("Cannot use both --bpf and --program: give one filter");
  }
  if (expression === undefined && programFile === undefined) return undefined;
  // Loaded only when a filter is given: fmagent runs with --no-lazy, which
  // compiles every function of every imported module at start-up, and the
  // filter compiler is most of produce's and consume's code (~12 ms).
  const { resolveFilter } = await import("../cli/filter_source.ts");
  const words = expression === undefined ? [] : [expression];
  const filter = await resolveFilter({ words, programFile }, LINKTYPE_ETHERNET, MAX_SNAPLEN);
  return filter?.match;
}

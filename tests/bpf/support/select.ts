/** Runs a compiled filter over test packets, holding JIT, interpreter and unoptimised program together. */
import { compileFilter, compileProgram } from "../../../src/bpf/compile_filter.ts";
import { interpreterMatcher } from "../../../src/bpf/program/interpret.ts";
import type { TestPacket } from "./pcap_file.ts";

/**
 * Indexes of `packets` a filter selects. The JIT-compiled and the
 * interpreted optimised program, and the interpreted unoptimised program,
 * must give the same verdict on every packet. `exactGencode` compiles with
 * libpcap's unoptimised loads, for comparison with `tcpdump -O`.
 */
export function selectWith(
  expression: string,
  packets: readonly TestPacket[],
  exactGencode = false,
): Set<number> {
  const options = { netmask: 0, exactGencode };
  const { program, match } = compileFilter(expression, options);
  const interpret = interpreterMatcher(program);
  const unoptimized = interpreterMatcher(
    compileProgram(expression, { ...options, optimize: false }),
  );
  const selected = new Set<number>();
  packets.forEach((p, i) => {
    const jit = match(p.data, 0, p.data.length, p.wirelen);
    const ref = interpret(p.data, 0, p.data.length, p.wirelen);
    const raw = unoptimized(p.data, 0, p.data.length, p.wirelen);
    if (jit !== ref || raw !== ref) {
      throw new Error(
        `JIT (${jit}), interpreter (${ref}) and unoptimised program (${raw}) disagree on packet ${i}`,
      );
    }
    if (ref !== 0) selected.add(i);
  });
  return selected;
}

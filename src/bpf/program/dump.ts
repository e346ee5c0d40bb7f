/**
 * A whole program in tcpdump's three print formats (libpcap `bpf_dump`):
 * `-d` one `bpf_image` line per instruction, `-dd` a C initialiser line per
 * instruction, `-ddd` the count then `code jt jf k` in decimal. Every line ends
 * in a newline, as tcpdump prints it.
 */
import type { RawProgram } from "./raw_instruction.ts";
import { instructionImage } from "./image.ts";

/** 1 = `-d`, 2 = `-dd`, 3 = `-ddd`. */
export type DumpLevel = 1 | 2 | 3;

export function dumpProgram(program: RawProgram, level: DumpLevel): string {
  const lines: string[] = [];
  if (level === 3) {
    lines.push(String(program.length));
    for (const insn of program) lines.push(`${insn.code} ${insn.jt} ${insn.jf} ${insn.k >>> 0}`);
  } else if (level === 2) {
    for (const insn of program) {
      const k = (insn.k >>> 0).toString(16).padStart(8, "0");
      lines.push(`{ 0x${insn.code.toString(16)}, ${insn.jt}, ${insn.jf}, 0x${k} },`);
    }
  } else {
    program.forEach((insn, n) => lines.push(instructionImage(insn, n)));
  }
  return lines.map((line) => line + "\n").join("");
}

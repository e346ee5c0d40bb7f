/**
 * Loads a precompiled program from text, in the formats tcpdump prints:
 * - `-ddd`: the instruction count on the first line, then `code jt jf k` in
 *   decimal, one instruction a line;
 * - `-dd`: C initialiser lines `{ 0x28, 0, 0, 0x0000000c },`;
 * - the one-line form of Linux tools (`bpf_asm -c`, iptables `--bytecode`):
 *   `4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0`.
 * Blank lines and `#` comments are ignored. The result is validated.
 */
import type { RawInstruction, RawProgram } from "./raw_instruction.ts";
import { ProgramTextError } from "./program_errors.ts";
import { validateProgram } from "./validate.ts";

/** Parses and validates program text; `name` (a file name) is quoted in errors. */
export function parseProgramText(text: string, name = "BPF program"): RawProgram {
  const lines = text.split(/\r?\n/).map((line, i) => ({
    text: line.replace(/#.*$/, "").trim(),
    number: i + 1,
  })).filter((line) => line.text !== "");
  const fail = (line: number, why: string) =>
    new ProgramTextError(`Cannot read ${name}: line ${line}: ${why}`, line);
  const first = lines[0];
  if (first === undefined) throw fail(1, "no instructions (expected tcpdump -ddd output)");
  let program: RawInstruction[];
  if (first.text.startsWith("{")) {
    program = lines.map((line) => parseInitializer(line.text, line.number, fail));
  } else if (lines.length === 1 && first.text.includes(",")) {
    program = parseOneLine(first.text, first.number, fail);
  } else {
    program = parseDecimalLines(lines, fail);
  }
  validateProgram(program, name);
  return program;
}

type Fail = (line: number, why: string) => ProgramTextError;

function parseDecimalLines(lines: readonly { text: string; number: number }[], fail: Fail) {
  const first = lines[0]!;
  if (!/^\d+$/.test(first.text)) {
    throw fail(first.number, `expected the instruction count, got ${JSON.stringify(first.text)}`);
  }
  const count = Number(first.text);
  const body = lines.slice(1);
  if (body.length !== count) {
    const last = lines[lines.length - 1]!.number;
    throw fail(
      body.length < count ? last : body[count]!.number,
      `the count says ${count} instructions but ${body.length} follow`,
    );
  }
  return body.map((line) => parseFields(line.text.split(/\s+/), line.number, fail));
}

function parseOneLine(text: string, line: number, fail: Fail): RawInstruction[] {
  const [countText, ...rest] = text.split(",").map((part) => part.trim());
  const items = rest.filter((part, i) => part !== "" || i < rest.length - 1);
  if (!/^\d+$/.test(countText ?? "")) {
    throw fail(line, `expected the instruction count before the first comma`);
  }
  if (Number(countText) !== items.length) {
    throw fail(line, `the count says ${countText} instructions but ${items.length} follow`);
  }
  return items.map((item) => parseFields(item.split(/\s+/), line, fail));
}

function parseInitializer(text: string, line: number, fail: Fail): RawInstruction {
  const match = /^\{\s*([^}]*?)\s*\},?$/.exec(text);
  if (match === null) throw fail(line, `expected { code, jt, jf, k }, got ${JSON.stringify(text)}`);
  return parseFields(match[1]!.split(/\s*,\s*/), line, fail);
}

const LIMITS = { code: 0xffff, jt: 0xff, jf: 0xff, k: 0xffffffff } as const;

function parseFields(fields: readonly string[], line: number, fail: Fail): RawInstruction {
  if (fields.length !== 4) {
    throw fail(line, `expected 4 numbers (code jt jf k), got ${fields.length}`);
  }
  const names = ["code", "jt", "jf", "k"] as const;
  const values = fields.map((field, i) => {
    const name = names[i]!;
    const value = /^0x[0-9a-f]+$/i.test(field)
      ? parseInt(field, 16)
      : /^\d+$/.test(field)
      ? Number(field)
      : NaN;
    if (Number.isNaN(value)) throw fail(line, `${name} ${JSON.stringify(field)} is not a number`);
    if (value > LIMITS[name]) throw fail(line, `${name} ${field} is larger than ${LIMITS[name]}`);
    return value;
  });
  return { code: values[0]!, jt: values[1]!, jf: values[2]!, k: values[3]! };
}

/**
 * One instruction as `tcpdump -d` prints it: libpcap 1.10's `bpf_image`
 * (bpf_image.c), byte for byte. C's `%d` prints k as a signed int, `%-8s` and
 * `%-16s` pad with spaces (so operand-less lines end in spaces), and a
 * conditional jump prints its absolute targets separated by a tab. Opcodes
 * libpcap 1.10 does not name (including `ldx #pktlen`, which its interpreter
 * runs but its printer does not know) print as `unimp 0x..`.
 */
import type { RawInstruction } from "./raw_instruction.ts";

/** Linux's special load offsets (SKF_AD_OFF + n) as libpcap names them, n / 4. */
const LINUX_ANCILLARY = [
  "proto",
  "type",
  "ifidx",
  "nla",
  "nlan",
  "mark",
  "queue",
  "hatype",
  "rxhash",
  "cpu",
  "xor_x",
  "vlan_tci",
  "vlanp",
  "poff",
  "random",
  "vlan_tpid",
];
const SKF_AD_OFF = 0xfffff000;

const hex = (k: number): string => `#0x${(k >>> 0).toString(16)}`;
const signed = (k: number): number => k | 0;

function absoluteOperand(k: number): string {
  const rel = k - SKF_AD_OFF;
  if (rel >= 0 && rel < LINUX_ANCILLARY.length * 4 && rel % 4 === 0) {
    return `[${LINUX_ANCILLARY[rel / 4]}]`;
  }
  return `[${signed(k)}]`;
}

/** [mnemonic, operand] for `insn` at index `n`. */
function parts(insn: RawInstruction, n: number): [string, string] {
  const k = insn.k;
  switch (insn.code) {
    case 0x06:
      return ["ret", `#${signed(k)}`];
    case 0x16:
      return ["ret", ""];
    case 0x20:
      return ["ld", absoluteOperand(k)];
    case 0x28:
      return ["ldh", absoluteOperand(k)];
    case 0x30:
      return ["ldb", absoluteOperand(k)];
    case 0x80:
      return ["ld", "#pktlen"];
    case 0x40:
      return ["ld", `[x + ${signed(k)}]`];
    case 0x48:
      return ["ldh", `[x + ${signed(k)}]`];
    case 0x50:
      return ["ldb", `[x + ${signed(k)}]`];
    case 0x00:
      return ["ld", hex(k)];
    case 0x01:
      return ["ldx", hex(k)];
    case 0xb1:
      return ["ldxb", `4*([${signed(k)}]&0xf)`];
    case 0x60:
      return ["ld", `M[${signed(k)}]`];
    case 0x61:
      return ["ldx", `M[${signed(k)}]`];
    case 0x02:
      return ["st", `M[${signed(k)}]`];
    case 0x03:
      return ["stx", `M[${signed(k)}]`];
    case 0x05:
      return ["ja", `${(n + 1 + k) | 0}`];
    case 0x25:
      return ["jgt", hex(k)];
    case 0x35:
      return ["jge", hex(k)];
    case 0x15:
      return ["jeq", hex(k)];
    case 0x45:
      return ["jset", hex(k)];
    case 0x2d:
      return ["jgt", "x"];
    case 0x3d:
      return ["jge", "x"];
    case 0x1d:
      return ["jeq", "x"];
    case 0x4d:
      return ["jset", "x"];
    case 0x0c:
      return ["add", "x"];
    case 0x1c:
      return ["sub", "x"];
    case 0x2c:
      return ["mul", "x"];
    case 0x3c:
      return ["div", "x"];
    case 0x9c:
      return ["mod", "x"];
    case 0x5c:
      return ["and", "x"];
    case 0x4c:
      return ["or", "x"];
    case 0xac:
      return ["xor", "x"];
    case 0x6c:
      return ["lsh", "x"];
    case 0x7c:
      return ["rsh", "x"];
    case 0x04:
      return ["add", `#${signed(k)}`];
    case 0x14:
      return ["sub", `#${signed(k)}`];
    case 0x24:
      return ["mul", `#${signed(k)}`];
    case 0x34:
      return ["div", `#${signed(k)}`];
    case 0x94:
      return ["mod", `#${signed(k)}`];
    case 0x54:
      return ["and", hex(k)];
    case 0x44:
      return ["or", hex(k)];
    case 0xa4:
      return ["xor", hex(k)];
    case 0x64:
      return ["lsh", `#${signed(k)}`];
    case 0x74:
      return ["rsh", `#${signed(k)}`];
    case 0x84:
      return ["neg", ""];
    case 0x07:
      return ["tax", ""];
    case 0x87:
      return ["txa", ""];
  }
  return ["unimp", `0x${insn.code.toString(16)}`];
}

/** `insn` at index `n` formatted as `bpf_image` does, without a newline. */
export function instructionImage(insn: RawInstruction, n: number): string {
  const [op, operand] = parts(insn, n);
  const head = `(${String(n).padStart(3, "0")}) ${op.padEnd(8)} `;
  const isConditional = (insn.code & 0x07) === 0x05 && (insn.code & 0xf0) !== 0x00;
  if (isConditional) {
    return `${head}${operand.padEnd(16)} jt ${n + 1 + insn.jt}\tjf ${n + 1 + insn.jf}`;
  }
  return head + operand;
}

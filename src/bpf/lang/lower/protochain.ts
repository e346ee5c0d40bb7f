/**
 * `ip protochain N` / `ip6 protochain N`: follow the IPv6 extension-header
 * chain (hop-by-hop, destination options, routing, fragment) and AH headers
 * to protocol N, as libpcap's gen_protochain does: a loop closed by a
 * backward `ja`, which fmagent's interpreter and JIT run with a bound on
 * iterations. libpcap turns its optimiser off for such filters; fmagent's
 * optimiser leaves programs with backward jumps unchanged too.
 */
import { FilterSemanticError } from "../../errors.ts";
import type { RawInstruction } from "../../program/raw_instruction.ts";
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_B,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MISC,
  BPF_MSH,
  BPF_MUL,
  BPF_ST,
  BPF_TAX,
  BPF_TXA,
  BPF_X,
} from "../../program/opcodes.ts";
import { and, branch, type Cond, or } from "./blocks.ts";
import { allocSlot, freeSlot, type LowerContext } from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";

const IPPROTO = { hopopts: 0, routing: 43, fragment: 44, ah: 51, none: 59, dstopts: 60 } as const;

/** An instruction whose jump targets are names of other instructions, resolved to offsets later. */
interface Step {
  readonly code: number;
  readonly k: number;
  readonly label?: string;
  readonly jt?: string;
  readonly jf?: string;
  /** For `ja`: the label jumped to (may be earlier). */
  readonly to?: string;
}

function resolve(steps: readonly Step[]): RawInstruction[] {
  const at = new Map<string, number>();
  steps.forEach((s, i) => s.label !== undefined && at.set(s.label, i));
  const offset = (from: number, label: string | undefined) =>
    label === undefined ? 0 : at.get(label)! - (from + 1);
  return steps.map((s, i) => ({
    code: s.code,
    jt: offset(i, s.jt),
    jf: offset(i, s.jf),
    k: (s.to === undefined ? s.k : offset(i, s.to)) >>> 0,
  }));
}

function chain(ctx: LowerContext, proto: number, version: "ip" | "ip6"): Cond {
  if (ctx.offLinkPl.slot !== undefined) {
    throw new FilterSemanticError("'protochain' not supported with variable length headers");
  }
  const type = linkType(ctx, version === "ip" ? ETHERTYPE.ip : ETHERTYPE.ip6);
  const nl = ctx.offLinkPl.constant + ctx.offNl;
  const slot = allocSlot(ctx);
  const steps: Step[] = [];
  if (version === "ip") {
    steps.push({ code: BPF_LD | BPF_ABS | BPF_B, k: nl + 9 });
    steps.push({ code: BPF_LDX | BPF_MSH | BPF_B, k: nl });
  } else {
    steps.push({ code: BPF_LD | BPF_ABS | BPF_B, k: nl + 6 });
    steps.push({ code: BPF_LDX | BPF_IMM, k: 40 });
  }
  const jeq = BPF_JMP | BPF_JEQ | BPF_K;
  steps.push({ code: jeq, k: proto, label: "again", jt: "end", jf: "none" });
  steps.push({
    code: jeq,
    k: IPPROTO.none,
    label: "none",
    jt: "end",
    jf: version === "ip6" ? "v6start" : "nop",
  });
  if (version === "ip6") {
    steps.push({ code: jeq, k: IPPROTO.hopopts, label: "v6start", jt: "v6advance", jf: "dst" });
    steps.push({ code: jeq, k: IPPROTO.dstopts, label: "dst", jt: "v6advance", jf: "routing" });
    steps.push({
      code: jeq,
      k: IPPROTO.routing,
      label: "routing",
      jt: "v6advance",
      jf: "fragment",
    });
    steps.push({
      code: jeq,
      k: IPPROTO.fragment,
      label: "fragment",
      jt: "v6advance",
      jf: "ahcheck",
    });
    // A = next header; X += (header length + 1) * 8
    steps.push({ code: BPF_LD | BPF_IND | BPF_B, k: nl, label: "v6advance" });
    steps.push({ code: BPF_ST, k: slot });
    steps.push({ code: BPF_LD | BPF_IND | BPF_B, k: nl + 1 });
    steps.push({ code: BPF_ALU | BPF_ADD | BPF_K, k: 1 });
    steps.push({ code: BPF_ALU | BPF_MUL | BPF_K, k: 8 });
    steps.push({ code: BPF_ALU | BPF_ADD | BPF_X, k: 0 });
    steps.push({ code: BPF_MISC | BPF_TAX, k: 0 });
    steps.push({ code: BPF_LD | BPF_MEM, k: slot });
    steps.push({ code: BPF_JMP | BPF_JA, k: 0, to: "again" });
  } else {
    steps.push({ code: BPF_ALU | BPF_ADD | BPF_K, k: 0, label: "nop" });
  }
  // AH: A = next header; X += (payload length + 2) * 4
  steps.push({ code: jeq, k: IPPROTO.ah, label: "ahcheck", jt: "ah", jf: "end" });
  steps.push({ code: BPF_MISC | BPF_TXA, k: 0, label: "ah" });
  steps.push({ code: BPF_LD | BPF_IND | BPF_B, k: nl });
  steps.push({ code: BPF_ST, k: slot });
  steps.push({ code: BPF_MISC | BPF_TXA, k: 0 });
  steps.push({ code: BPF_ALU | BPF_ADD | BPF_K, k: 1 });
  steps.push({ code: BPF_MISC | BPF_TAX, k: 0 });
  steps.push({ code: BPF_LD | BPF_IND | BPF_B, k: nl });
  steps.push({ code: BPF_ALU | BPF_ADD | BPF_K, k: 2 });
  steps.push({ code: BPF_ALU | BPF_MUL | BPF_K, k: 4 });
  steps.push({ code: BPF_MISC | BPF_TAX, k: 0 });
  steps.push({ code: BPF_LD | BPF_MEM, k: slot });
  steps.push({ code: BPF_JMP | BPF_JA, k: 0, to: "again" });
  steps.push({ code: BPF_ALU | BPF_ADD | BPF_K, k: 0, label: "end" });
  freeSlot(ctx, slot);
  return and(type, branch(resolve(steps), jeq, proto));
}

export function protochain(ctx: LowerContext, proto: number, qualifier: string | undefined): Cond {
  switch (qualifier) {
    case "ip":
    case "ip6":
      return chain(ctx, proto, qualifier);
    case undefined: {
      // libpcap reserves a slot in the outer call too; holding one keeps the numbering identical.
      const outer = allocSlot(ctx);
      const v4 = chain(ctx, proto, "ip");
      const result = or(v4, chain(ctx, proto, "ip6"));
      freeSlot(ctx, outer);
      return result;
    }
    default:
      throw new FilterSemanticError("bad protocol applied for 'protochain'");
  }
}

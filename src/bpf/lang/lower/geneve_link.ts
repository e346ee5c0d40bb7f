/** The test libpcap puts before Ethernet-header primitives after `geneve` (gen_geneve_ll_check). */
import { BPF_JEQ, BPF_JMP, BPF_LD, BPF_LDX, BPF_MEM, BPF_X } from "../../program/opcodes.ts";
import { branch, type Cond, not, stmt } from "./blocks.ts";
import type { LowerContext } from "./context.ts";

/**
 * The encapsulated frame has an Ethernet header: its header offset differs
 * from its payload offset (both in scratch slots after `geneve`).
 */
export function geneveHasLinkHeader(ctx: LowerContext): Cond {
  const stmts = [
    stmt(BPF_LD | BPF_MEM, ctx.offLinkHdr.slot ?? 0),
    stmt(BPF_LDX | BPF_MEM, ctx.offLinkPl.slot ?? 0),
  ];
  return not(branch(stmts, BPF_JMP | BPF_JEQ | BPF_X, 0));
}

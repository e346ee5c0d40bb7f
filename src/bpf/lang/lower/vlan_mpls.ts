/**
 * `vlan [ID]` and `mpls [LABEL]`. Each match moves the offsets every later
 * primitive uses past the tag or label, whatever the boolean structure
 * (libpcap semantics: `vlan 10 or ip` tests `ip` inside the tag).
 */
import { FilterRangeError, FilterSemanticError } from "../../errors.ts";
import { and, type Cond, or } from "./blocks.ts";
import { type LowerContext, maskedCmp } from "./context.ts";
import { ETHERTYPE, linkType } from "./ether.ts";

function shift(offset: { constant: number; slot: number | undefined }, by: number) {
  return { constant: offset.constant + by, slot: offset.slot };
}

export function vlan(ctx: LowerContext, id: number | undefined): Cond {
  if (ctx.labelStackDepth > 0) throw new FilterSemanticError("no VLAN match after MPLS");
  if (ctx.pppPayload) throw new FilterSemanticError("no VLAN support for PPP");
  if (id !== undefined && id > 4095) {
    throw new FilterRangeError(`VLAN tag ${id} greater than maximum 4095`);
  }
  let cond = or(
    or(linkType(ctx, ETHERTYPE.vlan), linkType(ctx, ETHERTYPE.qinq8021ad)),
    linkType(ctx, ETHERTYPE.qinq9100),
  );
  if (id !== undefined) cond = and(cond, maskedCmp(ctx, "linkpl", 0, 2, id, 0x0fff));
  ctx.offLinkPl = shift(ctx.offLinkPl, 4);
  ctx.offLinkType = shift(ctx.offLinkType, 4);
  ctx.vlanStackDepth++;
  return cond;
}

export function mpls(ctx: LowerContext, label: number | undefined): Cond {
  let cond = ctx.labelStackDepth > 0
    // An inner label: the previous one must not be the bottom of the stack.
    ? maskedCmp(ctx, "prevmpls", 2, 1, 0, 0x01)
    : linkType(ctx, ETHERTYPE.mpls);
  if (label !== undefined) {
    if (label > 0xfffff) {
      throw new FilterRangeError(`MPLS label ${label} greater than maximum 1048575`);
    }
    cond = and(cond, maskedCmp(ctx, "net", 0, 4, (label << 12) >>> 0, 0xfffff000));
  }
  ctx.offNl += 4;
  ctx.offNlNoSnap += 4;
  ctx.labelStackDepth++;
  return cond;
}

/**
 * Interface Description Block: u16 link type, u16 reserved, u32 snaplen,
 * options. `if_tsresol` (code 9) and `if_tsoffset` (code 14) decide how the
 * interface's packet timestamps turn into seconds and nanoseconds.
 */
import { forEachOption } from "./options.ts";

export const OPT_IF_TSRESOL = 9;
export const OPT_IF_TSOFFSET = 14;

export interface InterfaceDescription {
  readonly linkType: number;
  readonly snaplen: number;
  /** Timestamp units per second: 10^n or 2^n (default 10^6). */
  readonly unitsPerSecond: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  readonly offsetSeconds: number;
}

/** Parses the IDB whose block starts at `blockAt` and is `length` bytes long. */
export function parseInterfaceDescription(
  view: DataView,
  blockAt: number,
  length: number,
  littleEndian: boolean,
): InterfaceDescription {
  let unitsPerSecond = 1e6;
  let offsetSeconds = 0;
  forEachOption(view, blockAt + 16, blockAt + length - 4, littleEndian, (code, at, len) => {
    if (code === OPT_IF_TSRESOL && len >= 1) {
      const resol = view.getUint8(at);
      const exponent = resol & 0x7f;
      unitsPerSecond = resol & 0x80 ? 2 ** exponent : 10 ** exponent;
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      offsetSeconds = Number(view.getBigInt64(at, littleEndian));
    }
  });
  return {
    linkType: view.getUint16(blockAt + 8, littleEndian),
    snaplen: view.getUint32(blockAt + 12, littleEndian),
    unitsPerSecond,
    offsetSeconds,
  };
}

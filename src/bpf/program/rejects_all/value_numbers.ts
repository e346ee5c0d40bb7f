/**
 * Value numbering as libpcap's optimiser does it: every value a register or
 * scratch word can hold is named by a number, the same number for the same
 * operation on the same operands (a load of the same offset and size, with
 * the same index value; an ALU operation on the same values; a constant).
 * Number 0 means unknown. Numbers are only compared for equality, so the
 * order in which they are handed out does not matter.
 */

export const VAL_UNKNOWN = 0;

/** Opcode under which constants are numbered (BPF_LD|BPF_IMM|BPF_W). */
const LD_IMM = 0x00;

export interface ValueTable {
  /** The number of `code(v0, v1)`, made on first use. */
  value(code: number, v0: number, v1: number): number;
  /** The number of the constant `k`. */
  constant(k: number): number;
  /** The constant a number stands for, if it is one. */
  constantOf(val: number): number | undefined;
}

export function newValueTable(): ValueTable {
  // Keyed by code and v0 together (exact in a double: the code has 8 bits), then by v1.
  const numbers = new Map<number, Map<number, number> | number>();
  const constants: (number | undefined)[] = [undefined];
  const make = (code: number, v0: number): number => {
    const val = constants.length;
    // Loads of an immediate (class LD or LDX, mode IMM) are constants.
    const isImmediate = (code & 0xe0) === 0 && ((code & 0x07) === 0 || (code & 0x07) === 1);
    constants.push(isImmediate ? v0 : undefined);
    return val;
  };
  const value = (code: number, v0: number, v1: number): number => {
    v0 >>>= 0;
    const key = code * 0x100000000 + v0;
    const entry = numbers.get(key);
    if (entry === undefined) {
      const val = make(code, v0);
      numbers.set(key, v1 === 0 ? val : new Map([[v1, val]]));
      return val;
    }
    if (typeof entry === "number") {
      if (v1 === 0) return entry;
      const val = make(code, v0);
      numbers.set(key, new Map([[0, entry], [v1, val]]));
      return val;
    }
    let val = entry.get(v1);
    if (val === undefined) {
      val = make(code, v0);
      entry.set(v1, val);
    }
    return val;
  };
  return {
    value,
    constant: (k) => value(LD_IMM, k, 0),
    constantOf: (val) => constants[val],
  };
}

/**
 * What earlier tests on a path say about A (and about A against X), so the
 * optimiser can decide a later test without running it. Only ever used along
 * chains of jumps, which change neither A nor X.
 *
 * Knowledge kept: an unsigned range [lo, hi], values A is known not to equal,
 * bits known set in some tested mask (`A & m != 0`), bits known clear, a
 * short list of the only values A can have (after `jeq` tests whose true
 * branches met: `ip proto tcp or udp`), and outcomes of X-form tests.
 */

/**
 * The lists are never changed in place: learning a fact makes a new list, so
 * copies of a BranchFacts share them (fewer objects to make, which is most of
 * what a process's first compile pays for).
 */
export interface BranchFacts {
  lo: number;
  hi: number;
  notEqual: readonly number[];
  /** Masks m with A & m != 0. */
  someBitSet: readonly number[];
  /** Bits known to be 0 in A. */
  clearBits: number;
  /** X-form tests (jeq/jgt/jge/jset x, bit (op >> 4) - 1) whose outcome is known... */
  xKnown: number;
  /** ...and which of those were true. */
  xTrue: number;
  /** The only values A can have, when known (at most MAX_ONE_OF). */
  oneOf: readonly number[] | undefined;
}

const NONE: readonly number[] = Object.freeze([]);

/** Longest value list kept: merges beyond this forget it. */
const MAX_ONE_OF = 16;

const U32_MAX = 0xffffffff;

export function noFacts(): BranchFacts {
  return {
    lo: 0,
    hi: U32_MAX,
    notEqual: NONE,
    someBitSet: NONE,
    clearBits: 0,
    xKnown: 0,
    xTrue: 0,
    oneOf: undefined,
  };
}

export function constantFacts(value: number): BranchFacts {
  const facts = noFacts();
  facts.lo = facts.hi = value >>> 0;
  facts.oneOf = [value >>> 0];
  return facts;
}

export function copyFacts(f: BranchFacts): BranchFacts {
  return {
    lo: f.lo,
    hi: f.hi,
    notEqual: f.notEqual,
    someBitSet: f.someBitSet,
    clearBits: f.clearBits,
    xKnown: f.xKnown,
    xTrue: f.xTrue,
    oneOf: f.oneOf,
  };
}

const JEQ = 0x15, JGT = 0x25, JGE = 0x35, JSET = 0x45;

/** jeq x → 1, jgt x → 2, jge x → 4, jset x → 8. */
const xTestBit = (code: number): number => 1 << ((code >> 4) - 1);

/** Records that the test `code k` (a conditional jump) had `outcome`. */
export function learn(facts: BranchFacts, code: number, k: number, outcome: boolean): void {
  if ((code & 0x08) !== 0) {
    const bit = xTestBit(code);
    facts.xKnown |= bit;
    facts.xTrue = outcome ? facts.xTrue | bit : facts.xTrue & ~bit;
    return;
  }
  if (code === JEQ && outcome && facts.oneOf === undefined) facts.oneOf = [k];
  else if (facts.oneOf !== undefined) facts.oneOf = valuesWith(facts.oneOf, code, k, outcome);
  switch (code) {
    case JEQ:
      if (outcome) {
        facts.lo = Math.max(facts.lo, k);
        facts.hi = Math.min(facts.hi, k);
      } else {
        facts.notEqual = withValue(facts.notEqual, k);
      }
      break;
    case JGT:
      if (outcome) facts.lo = Math.max(facts.lo, k + 1);
      else facts.hi = Math.min(facts.hi, k);
      break;
    case JGE:
      if (outcome) facts.lo = Math.max(facts.lo, k);
      else facts.hi = Math.min(facts.hi, k - 1);
      break;
    case JSET:
      if (outcome) facts.someBitSet = withValue(facts.someBitSet, k);
      else facts.clearBits = (facts.clearBits | k) >>> 0;
      break;
  }
}

/** `list` and `k`, in a new list (slice and push: cheaper than concat in V8). */
function withValue(list: readonly number[], k: number): readonly number[] {
  const longer = list.slice();
  longer.push(k);
  return longer;
}

/** The values for which test `code k` has `outcome` (`values` itself when that is all of them). */
function valuesWith(
  values: readonly number[],
  code: number,
  k: number,
  outcome: boolean,
): readonly number[] {
  let kept: number[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const keep = testValue(code, k, values[i]!) === outcome;
    if (kept === undefined && !keep) kept = values.slice(0, i);
    else if (kept !== undefined && keep) kept.push(values[i]!);
  }
  return kept ?? values;
}

/** The outcome of the K-form test `code k` when A is `value`. */
export function testValue(code: number, k: number, value: number): boolean {
  switch (code) {
    case JEQ:
      return value === k;
    case JGT:
      return value > k;
    case JGE:
      return value >= k;
    default:
      return (value & k) !== 0;
  }
}

/** The outcome of test `code k` if the facts decide it, else undefined. */
export function decide(facts: BranchFacts, code: number, k: number): boolean | undefined {
  if ((code & 0x08) !== 0) {
    const bit = xTestBit(code);
    return (facts.xKnown & bit) === 0 ? undefined : (facts.xTrue & bit) !== 0;
  }
  const { lo, hi, oneOf } = facts;
  if (lo > hi) return undefined; // a contradictory path: cannot happen at run time; leave it alone
  if (oneOf !== undefined) {
    if (oneOf.length === 0) return undefined; // contradictory as well
    const first = testValue(code, k, oneOf[0]!);
    if (oneOf.every((v) => testValue(code, k, v) === first)) return first;
  }
  switch (code) {
    case JEQ:
      if (k < lo || k > hi || facts.notEqual.includes(k)) return false;
      if (lo === hi) return true;
      if ((k & facts.clearBits) !== 0) return false;
      return undefined;
    case JGT:
      if (lo > k) return true;
      if (hi <= k) return false;
      return undefined;
    case JGE:
      if (lo >= k) return true;
      if (hi < k) return false;
      return undefined;
    case JSET:
      if (lo === hi) return (lo & k) !== 0;
      if ((k & ~facts.clearBits) === 0) return false;
      if (
        facts.someBitSet.some((m) =>
          (m & ~facts.clearBits) !== 0 && (m & ~facts.clearBits & ~k) === 0
        )
      ) return true;
      return undefined;
  }
  return undefined;
}

/** What holds on both of two paths (for a merge point): each part widened to cover both. */
export function mergeFacts(a: BranchFacts, b: BranchFacts): BranchFacts {
  return {
    lo: Math.min(a.lo, b.lo),
    hi: Math.max(a.hi, b.hi),
    notEqual: common(a.notEqual, b.notEqual),
    someBitSet: common(a.someBitSet, b.someBitSet),
    clearBits: (a.clearBits & b.clearBits) >>> 0,
    // X-form outcomes both paths know, and agree on.
    xKnown: a.xKnown & b.xKnown & ~(a.xTrue ^ b.xTrue),
    xTrue: a.xTrue & b.xTrue,
    oneOf: mergeOneOf(a.oneOf, b.oneOf),
  };
}

/** The values in both lists, in `a`'s order. */
function common(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a === b) return a;
  if (a.length === 0 || b.length === 0) return NONE;
  return a.filter((v) => b.includes(v));
}

function mergeOneOf(
  a: readonly number[] | undefined,
  b: readonly number[] | undefined,
): readonly number[] | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a === b) return a;
  const union = [...a, ...b.filter((v) => !a.includes(v))];
  return union.length <= MAX_ONE_OF ? union : undefined;
}

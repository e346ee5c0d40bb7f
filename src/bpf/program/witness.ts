/**
 * A packet that a forward-only program accepts, found by running the program
 * on a packet and steering it: where a test would send the packet to code
 * from which no accepting return can be reached (or, in the later attempts,
 * away from the branch the attempt prefers), the packet field the test read
 * (a load, through scratch memory and a few ALU operations, or the length) is
 * rewritten so that the test goes the other way, and the program runs again.
 * Contradictory tests make the rewrites undo one another until the run budget
 * is spent; then there is no witness, which proves nothing.
 *
 * The compiler uses a witness to know a filter is not empty without replaying
 * libpcap's optimiser (compile_filter.ts). Only the caller's own matcher
 * decides whether the witness is accepted; this search merely proposes it.
 */
import type { RawProgram } from "./raw_instruction.ts";
import { BPF_ALU, BPF_JMP, BPF_K } from "./opcodes.ts";
import { testValue } from "./branch_facts.ts";
import { foldAlu } from "./register_values.ts";

/** Longest packet a witness may be (a jumbo frame's worth; `greater 9000` still finds one). */
const MAX_LENGTH = 16384;
/**
 * Length the search starts from: a full-sized Ethernet frame, so that every
 * load a program makes at a usual offset is within the packet whatever order
 * it makes them in (libpcap's optimiser may reorder loads; only on frames cut
 * short can that change a verdict). Tests of the length steer it elsewhere.
 */
const START_LENGTH = 1514;
/** Runs of the program per attempt: each run after the first follows one rewrite. */
const MAX_RUNS = 32;
/** ALU operations after a load that a rewrite can see through. */
const MAX_OPS = 4;
const MEMORY_WORDS = 16;

/** Where A's value comes from: a packet field at an offset (>= 0), the length, or nothing known. */
const NO_SOURCE = -1;
const LENGTH_SOURCE = -2;

const ACCEPTED = 0;
const REWRITTEN = 1;
const FAILED = 2;

/** Which way a test goes when both ways can still accept: as the packet says, or steered. */
const FOLLOW = 0;
const PREFER_TRUE = 1;
const PREFER_FALSE = 2;
const ATTEMPTS = [FOLLOW, PREFER_TRUE, PREFER_FALSE];
/** Rewrites at one test after which an attempt stops steering it toward the preferred way. */
const MAX_PREFERRED_STEERS = 2;

/** A's source: field offset (or LENGTH_SOURCE / NO_SOURCE), its size, and the ALU ops since. */
interface Source {
  at: number;
  size: number;
  ops: number;
  readonly opCodes: Int32Array;
  readonly opKs: Uint32Array;
}

/** The search's packet, and what the current run knows. */
interface Search {
  readonly packet: Uint8Array;
  length: number;
  readonly a: Source;
  /** The source of each scratch memory word stored from A (made on the first store). */
  readonly stored: (Source | undefined)[];
  readonly memory: Uint32Array;
  preference: number;
  /** Rewrites at each test in this attempt: one steered again and again gives up its preference. */
  readonly steered: Uint8Array;
}

const newSource = (): Source => ({
  at: NO_SOURCE,
  size: 0,
  ops: 0,
  opCodes: new Int32Array(MAX_OPS),
  opKs: new Uint32Array(MAX_OPS),
});

/**
 * A packet (its bytes, caplen = wirelen = its length) that the search expects
 * `program` to accept, or undefined when it finds none. Programs with
 * backward jumps get none.
 */
export function findWitness(program: RawProgram): Uint8Array | undefined {
  const accepting = acceptingInstructions(program);
  if (accepting === undefined || accepting[0] === 0) return undefined;
  const s: Search = {
    packet: new Uint8Array(MAX_LENGTH),
    length: START_LENGTH,
    a: newSource(),
    stored: new Array<Source | undefined>(MEMORY_WORDS).fill(undefined),
    memory: new Uint32Array(MEMORY_WORDS),
    preference: FOLLOW,
    steered: new Uint8Array(program.length),
  };
  for (const preference of ATTEMPTS) {
    // An Ethernet frame carrying a 20-byte IPv4 header: the shape most filters test first,
    // and one whose header length leaves transport offsets where they usually are.
    s.packet.fill(0);
    s.packet[12] = 0x08;
    s.packet[14] = 0x45;
    s.length = START_LENGTH;
    s.preference = preference;
    s.steered.fill(0);
    for (let run = 0; run < MAX_RUNS; run++) {
      const result = runOnce(program, accepting, s);
      if (result === ACCEPTED) return s.packet.slice(0, s.length);
      if (result === FAILED) break;
    }
  }
  return undefined;
}

/**
 * `accepting[i]` is 1 when some path from instruction i reaches a return
 * that can accept (`ret #k` with k > 0, or `ret a`); undefined for programs
 * with backward jumps.
 */
function acceptingInstructions(program: RawProgram): Uint8Array | undefined {
  const n = program.length;
  const accepting = new Uint8Array(n + 1);
  for (let i = n - 1; i >= 0; i--) {
    const { code, jt, jf, k } = program[i]!;
    const cls = code & 0x07;
    if (cls === 0x06) accepting[i] = code === 0x06 && k === 0 ? 0 : 1;
    else if (code === 0x05) {
      if ((k | 0) < 0) return undefined;
      accepting[i] = accepting[Math.min(n, i + 1 + k)]!;
    } else if (cls === 0x05) accepting[i] = accepting[i + 1 + jt]! | accepting[i + 1 + jf]!;
    else accepting[i] = accepting[i + 1]!;
  }
  return accepting;
}

/** Runs the program once; rewrites the packet where a test goes the wrong way. */
function runOnce(program: RawProgram, accepting: Uint8Array, s: Search): number {
  const { packet, memory, a: source } = s;
  memory.fill(0);
  for (const stored of s.stored) if (stored !== undefined) stored.at = NO_SOURCE;
  let a = 0;
  let x = 0;
  source.at = NO_SOURCE;
  for (let pc = 0; pc < program.length;) {
    const { code, jt, jf, k } = program[pc++]!;
    const cls = code & 0x07;
    if (cls === 0x00 || cls === 0x01) {
      const mode = code & 0xe0;
      if (mode === 0x20 || mode === 0x40 || code === 0xb1) {
        const size = code === 0xb1
          ? 1
          : (code & 0x18) === 0x00
          ? 4
          : (code & 0x18) === 0x08
          ? 2
          : 1;
        const at = (mode === 0x40 ? x : 0) + k;
        if (at + size > s.length) {
          // The packet is too short for the load: lengthen it and run again.
          if (at + size > MAX_LENGTH) return FAILED;
          s.length = at + size;
          return REWRITTEN;
        }
        const value = readField(packet, at, size);
        if (code === 0xb1) x = (value & 0xf) << 2;
        else {
          a = value;
          setSource(source, at, size);
        }
      } else if (mode === 0x80) {
        if (cls === 0x00) {
          a = s.length;
          setSource(source, LENGTH_SOURCE, 0);
        } else x = s.length;
      } else if (mode === 0x00) {
        if (cls === 0x00) {
          a = k;
          source.at = NO_SOURCE;
        } else x = k;
      } else if (mode === 0x60) {
        if (cls === 0x00) {
          a = memory[k & 15]!;
          const stored = s.stored[k & 15];
          if (stored === undefined) source.at = NO_SOURCE;
          else copySource(stored, source);
        } else x = memory[k & 15]!;
      } else return FAILED;
    } else if (cls === 0x02) {
      memory[k & 15] = a;
      copySource(source, s.stored[k & 15] ??= newSource());
    } else if (cls === 0x03) {
      memory[k & 15] = x;
      const stored = s.stored[k & 15];
      if (stored !== undefined) stored.at = NO_SOURCE;
    } else if (cls === 0x04) {
      const byX = (code & 0x08) !== 0;
      const operand = byX ? x : k;
      const op = code & 0xf0;
      if ((op === 0x30 || op === 0x90) && operand === 0) return FAILED;
      a = foldAlu(code, a, operand)!; // defined: both known, no division by 0

      // An operand from X is taken as the constant it is in this run.
      if (source.ops === MAX_OPS || !invertible(op) || (byX && op >= 0x60 && operand >= 32)) {
        source.at = NO_SOURCE;
      } else {
        source.opCodes[source.ops] = op;
        source.opKs[source.ops++] = operand;
      }
    } else if (cls === 0x05) {
      if (code === 0x05) {
        pc += k;
        continue;
      }
      const operand = (code & 0x08) !== 0 ? x : k;
      const test = code & 0xf0;
      const taken = testValue(BPF_JMP | test | BPF_K, operand, a);
      const next = pc + (taken ? jt : jf);
      const other = pc + (taken ? jf : jt);
      const preferred = s.preference === FOLLOW || (s.preference === PREFER_TRUE) === taken ||
        accepting[other] === 0 || s.steered[pc - 1]! >= MAX_PREFERRED_STEERS;
      if (accepting[next] === 1 && (preferred || source.at === NO_SOURCE)) {
        pc = next;
        continue;
      }
      if (source.at === NO_SOURCE) return FAILED;
      if (steer(s, test, operand, !taken)) {
        s.steered[pc - 1]!++;
        return REWRITTEN;
      }
      if (accepting[next] === 0) return FAILED;
      pc = next; // the preferred way cannot be had here: go the way the packet goes
    } else if (cls === 0x06) {
      return (code === 0x06 ? k : a) !== 0 ? ACCEPTED : FAILED;
    } else if (code === 0x07) x = a;
    else if (code === 0x87) {
      a = x;
      source.at = NO_SOURCE;
    } else return FAILED;
  }
  return FAILED;
}

function setSource(source: Source, at: number, size: number): void {
  source.at = at;
  source.size = size;
  source.ops = 0;
}

function copySource(from: Source, to: Source): void {
  to.at = from.at;
  to.size = from.size;
  to.ops = from.ops;
  to.opCodes.set(from.opCodes);
  to.opKs.set(from.opKs);
}

function readField(packet: Uint8Array, at: number, size: number): number {
  if (size === 1) return packet[at]!;
  if (size === 2) return (packet[at]! << 8) | packet[at + 1]!;
  return ((packet[at]! << 24) | (packet[at + 1]! << 16) | (packet[at + 2]! << 8) |
    packet[at + 3]!) >>>
    0;
}

function writeField(packet: Uint8Array, at: number, size: number, value: number): void {
  for (let i = size - 1; i >= 0; i--) {
    packet[at + i] = value & 0xff;
    value >>>= 8;
  }
}

/**
 * A recorded operation again, its operand as a constant (ops by X are recorded
 * with X's value, and only where that gives the same result; never a division
 * by 0, which fails the run first).
 */
const replayOp = (op: number, value: number, k: number): number =>
  foldAlu(BPF_ALU | op | BPF_K, value, k)!;

/** Operations whose input a rewrite can work out from a wanted output (all but neg). */
const invertible = (op: number) => op !== 0x80;

/**
 * Rewrites A's source so that `test` against `operand` comes out `want`:
 * tries a few values of A that do, works each back through the ALU
 * operations to a field value, and keeps the first that gives it.
 */
function steer(s: Search, test: number, operand: number, want: boolean): boolean {
  const k = operand;
  for (let c = 0; c < 2; c++) {
    let target: number;
    switch (test) {
      case 0x10:
        target = want ? k : c === 0 ? k + 1 : k - 1;
        break;
      case 0x20:
        target = want ? (c === 0 ? k + 1 : 0xffffffff) : c === 0 ? k : 0;
        break;
      case 0x30:
        target = want ? (c === 0 ? k : 0xffffffff) : c === 0 ? k - 1 : 0;
        break;
      default:
        target = want ? (c === 0 ? k & -k : k) : c === 0 ? 0 : ~k;
    }
    if (trySource(s, target >>> 0, test, operand, want)) return true;
  }
  return false;
}

function trySource(
  s: Search,
  target: number,
  test: number,
  operand: number,
  want: boolean,
): boolean {
  const source = s.a;
  const length = source.at === LENGTH_SOURCE;
  const max = length ? MAX_LENGTH : source.size === 4 ? 0xffffffff : (1 << (8 * source.size)) - 1;
  const current = length ? s.length : readField(s.packet, source.at, source.size);
  // The value before each operation, to keep the bits an `and` or a shift does not pass on.
  const before: number[] = [];
  let value = current;
  for (let i = 0; i < source.ops; i++) {
    before.push(value);
    value = replayOp(source.opCodes[i]!, value, source.opKs[i]!);
  }
  let wanted = target;
  for (let i = source.ops - 1; i >= 0; i--) {
    const k = source.opKs[i]!;
    const old = before[i]!;
    switch (source.opCodes[i]) {
      case 0x00:
        wanted = (wanted - k) >>> 0;
        break;
      case 0x10:
        wanted = (wanted + k) >>> 0;
        break;
      case 0x50:
        wanted = ((old & ~k) | (wanted & k)) >>> 0;
        break;
      case 0xa0:
        wanted = (wanted ^ k) >>> 0;
        break;
      case 0x60:
        wanted = ((wanted >>> (k & 31)) | (old & ~(0xffffffff >>> (k & 31)))) >>> 0;
        break;
      case 0x70:
        wanted = ((wanted << (k & 31)) | (old & ((1 << (k & 31)) - 1))) >>> 0;
        break;
      case 0x20:
        wanted = k === 0 ? wanted : Math.floor(wanted / k);
        break;
      case 0x30:
        wanted = Math.min(wanted * k + (old % k), 0xffffffff);
        break;
      case 0x90:
        wanted = Math.min(old - (old % k) + wanted, 0xffffffff);
        break;
        // `or`: the bits it sets are set whatever the input; keep the wanted value. Inexact
        // inversions (a product that does not divide, say) fail the check below.
    }
  }
  if (wanted > max) return false;
  value = wanted;
  for (let i = 0; i < source.ops; i++) {
    value = replayOp(source.opCodes[i]!, value, source.opKs[i]!);
  }
  if (testValue(BPF_JMP | test | BPF_K, operand, value) !== want || wanted === current) {
    return false;
  }
  if (length) s.length = wanted;
  else writeField(s.packet, source.at, source.size, wanted);
  return true;
}

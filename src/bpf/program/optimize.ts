/**
 * A conservative optimiser for classic BPF programs. Correctness first: each
 * rewrite keeps the verdict for every packet (the differential tests compare
 * original and optimised programs on random packets). Passes, repeated until
 * nothing changes (or, see `settled`, provably would not):
 * - decided tests: a test that the facts on every path into it decide (a
 *   known constant A, or a packet field tested before) becomes a `ja`;
 * - jump threading: an edge into a `ja`, or into a test that the tests taken
 *   on the way decide (`jeq #0x800` true, then `jeq #0x86dd` must be false),
 *   goes straight to where that chain ends. The chain only passes jumps,
 *   loads of what a register already holds, and loads of fields tested before
 *   (which cannot fail and whose tests the facts decide); it lands only where
 *   the registers are what the original path would have made them;
 * - redundant loads: a load that puts into A or X what every path to it has
 *   already put there (same packet field, constant, length, 4*([k]&0xf)) is
 *   dropped — it cannot fail where the earlier identical load succeeded;
 * - dead instructions: before `ret #0` anything but a jump goes (rejecting
 *   early gives the same verdict); before another `ret #k`, whatever cannot
 *   reject the packet (loads of a field tested on every path to them included);
 * - `ja` to the next instruction and unreachable code are dropped; a `ja` to a
 *   return becomes that return;
 * - identical tails: a jump to an instruction that does what a later one does
 *   (same instruction, same successors, recursively) goes to the later one,
 *   so duplicated code (the ARP and RARP halves of `host`, copies of
 *   `ret #0`) becomes unreachable and goes;
 * - mask tests: `and #m` then `jeq #0` (or `jgt #0`) becomes `jset #m` when
 *   nothing reads A afterwards.
 * Programs with backward jumps (libpcap's protochain loops) are returned as
 * they are.
 */
import type { RawProgram } from "./raw_instruction.ts";
import { hasBackwardJump, validateProgram } from "./validate.ts";
import {
  type FlowNode,
  isConditional,
  isJumpAlways,
  isReturn,
  linearize,
  removeUnreachable,
  toFlowGraph,
} from "./flow_graph.ts";
import { constantFacts, decide, testValue } from "./branch_facts.ts";
import {
  constantOf,
  LENGTH,
  loadedValue,
  type RegisterState,
  registerStates,
  transfer,
  UNKNOWN,
} from "./register_values.ts";
import { entryFacts, factsAbout, type FactsMap, lookupFacts, withFact } from "./path_facts.ts";
import { BPF_JA, BPF_JMP } from "./opcodes.ts";
import { liveA } from "./a_liveness.ts";

const MAX_ROUNDS = 16;
/** Steps one jump chain may take: bounds the work on huge programs (chains are short in practice). */
const MAX_CHAIN_STEPS = 1024;
const JA = BPF_JMP | BPF_JA;
const RET_K = 0x06;

/** Register values and facts on entry to each node; undefined where no path reaches. */
interface Analysis {
  readonly states: readonly (RegisterState | undefined)[];
  /**
   * Facts on entry (undefined also when there are none), worked out on first
   * use: the costliest part, which removeRedundantLoads does not need and
   * removeDeadInstructions seldom does. What the passes in between change
   * (loads removed) does not change them.
   */
  readonly facts: () => readonly (FactsMap | undefined)[];
}

function analyze(nodes: readonly FlowNode[]): Analysis {
  const states = registerStates(nodes);
  let facts: readonly (FactsMap | undefined)[] | undefined;
  return { states, facts: () => (facts ??= entryFacts(nodes, states)) };
}

type Pass = (nodes: FlowNode[], analysis: () => Analysis) => boolean;

const removeUnreachablePass: Pass = (nodes) => removeUnreachable(nodes);

/**
 * The passes of a round, and whether a change by each makes the analysis
 * unsound. Most only remove paths or instructions that do nothing, after
 * which every register value and fact still holds (on fewer paths); jump
 * threading adds edges that arrive with other register contents.
 */
const PASSES: readonly [Pass, boolean][] = [
  [foldDecidedTests, false],
  [threadJumps, true],
  [(nodes) => simplifyJumps(nodes), false],
  [removeUnreachablePass, false],
  [removeRedundantLoads, false],
  [removeDeadInstructions, false],
  [(nodes) => mergeIdenticalTails(nodes), true],
  [(nodes) => foldMaskTests(nodes), true],
];

export interface OptimizeOptions {
  /**
   * Throw if the optimiser fails on its own output (a bug in it) instead of
   * returning the input unchanged. The tests set it; users get a working
   * filter either way.
   */
  readonly strict?: boolean;
}

/** An equivalent program, usually shorter; validates `program` first (throws InvalidProgramError). */
export function optimizeProgram(program: RawProgram, options: OptimizeOptions = {}): RawProgram {
  validateProgram(program);
  if (hasBackwardJump(program)) return program;
  try {
    return optimizeRounds(program);
  } catch (error) {
    if (options.strict) throw error;
    return program;
  }
}

function optimizeRounds(program: RawProgram): RawProgram {
  let current = program;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const nodes = toFlowGraph(current);
    // Recomputed lazily after a change that makes it unsound.
    let cached: Analysis | undefined;
    const analysis = () => (cached ??= analyze(nodes));
    let changed = 0; // bit p: pass p changed something
    for (let p = 0; p < PASSES.length; p++) {
      const [pass, invalidates] = PASSES[p]!;
      if (pass(nodes, analysis)) {
        changed |= 1 << p;
        if (invalidates) cached = undefined;
      }
    }
    if (changed === 0) break;
    current = linearize(nodes);
    if (changed === ONLY_UNREACHABLE_REMOVED && settled(nodes)) break;
  }
  validateProgram(current, "the optimised BPF program");
  return current;
}

/** The round's changes when removeUnreachable alone changed something. */
const ONLY_UNREACHABLE_REMOVED = 1 << PASSES.findIndex(([pass]) => pass === removeUnreachablePass);

/**
 * Whether another round would change nothing after one in which only
 * removeUnreachable did (saving that round, a good part of a first compile):
 * the other passes saw the same reachable code, with the same register values
 * and facts (unreachable code has none), and found nothing; only
 * simplifyJumps ran before the removal, and the removed code can hide a `ja`
 * to the next instruction from it, so it is tried again (without changing
 * anything). The passes bound jump offsets to 255, which removing code can
 * bring within reach: not a concern below 256 instructions.
 */
function settled(nodes: FlowNode[]): boolean {
  return nodes.length <= 256 && !simplifyJumps(nodes, true);
}

function foldDecidedTests(nodes: FlowNode[], analysis: () => Analysis): boolean {
  const { states } = analysis();
  const facts = analysis().facts();
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const state = states[i];
    if (state === undefined || node.removed || !isConditional(node.code)) continue;
    let outcome: boolean | undefined;
    if ((node.code & 0x08) === 0) {
      if (state.a !== UNKNOWN) outcome = decide(factsAbout(facts[i], state.a), node.code, node.k);
    } else {
      const a = constantOf(state.a);
      const x = constantOf(state.x);
      if (a !== undefined && x !== undefined) {
        outcome = decide(constantFacts(a), node.code & ~0x08, x);
      }
    }
    if (outcome === undefined) continue;
    const to = outcome ? node.onTrue : node.onFalse;
    rewrite(node, JA, 0, to, to);
    changed = true;
  }
  return changed;
}

/**
 * Where an edge from node `from` can land instead of `start` (see the module
 * comment). `facts` hold on the edge; `state` is the registers on the edge.
 * A "virtual" load is one the chain looks through without the edge running
 * it: from then on the chain may land only on a load or a `ret #k`, which do
 * not read A. `limit` bounds the new jump offset.
 */
function followChain(
  nodes: readonly FlowNode[],
  start: number,
  initialFacts: FactsMap | undefined,
  state: RegisterState,
  from: number,
  limit: number,
): number {
  let facts = initialFacts;
  let at = start;
  let landing = start;
  let current = state.a;
  let virtual = false;
  const reachable = (to: number) => to - from - 1 <= limit;
  for (let steps = 0; steps < MAX_CHAIN_STEPS && at < nodes.length; steps++) {
    const node = nodes[at]!;
    if (node.removed) at++;
    else if (isJumpAlways(node.code)) at = node.onTrue;
    else if (isConditional(node.code)) {
      const known = factsAbout(facts, current);
      const outcome = decide(known, node.code, node.k);
      if (outcome === undefined) {
        // A cascade of tests that every value A can have leaves at the same place.
        const end = cascadeEnd(nodes, at, known.oneOf);
        if (end === undefined) break;
        at = end;
      } else {
        facts = withFact(facts, current, node.code, node.k, outcome);
        at = outcome ? node.onTrue : node.onFalse;
      }
    } else if (node.code === RET_K) {
      if (reachable(at)) landing = at;
      break;
    } else if (X_LOADS.has(node.code)) {
      if (state.x === UNKNOWN || transfer(node, state).x !== state.x) break;
      at++; // reloads what X holds
    } else {
      const value = loadedValue(node);
      if (value === undefined) {
        // Setting A without reading it (ld [x + k], ld M[k], txa): right whatever A held.
        if (OVERWRITES_A.has(node.code) && reachable(at)) landing = at;
        break;
      }
      if (virtual || value !== current) {
        if (!reachable(at)) break;
        landing = at; // a load sets A whatever A held
      }
      if (value !== current) {
        const safe = lookupFacts(facts, value) !== undefined || value === LENGTH ||
          constantOf(value) !== undefined;
        if (!safe) break;
        current = value;
        virtual = true;
      }
      at++;
    }
    if (!virtual && reachable(at)) landing = at;
  }
  return landing;
}

const OVERWRITES_A = new Set([0x40, 0x48, 0x50, 0x60, 0x87]);

/**
 * Where the K-form tests starting at `start` send every value in `values`, if
 * all go to the same non-test instruction; undefined otherwise.
 */
function cascadeEnd(
  nodes: readonly FlowNode[],
  start: number,
  values: readonly number[] | undefined,
): number | undefined {
  if (values === undefined || values.length === 0) return undefined;
  let end: number | undefined;
  for (let v = 0; v < values.length; v++) {
    const value = values[v]!;
    let at = start;
    for (let steps = 0; steps < MAX_CHAIN_STEPS && at < nodes.length; steps++) {
      const node = nodes[at]!;
      if (node.removed) at++;
      else if (isJumpAlways(node.code)) at = node.onTrue;
      else if (isConditional(node.code)) {
        if ((node.code & 0x08) !== 0) return undefined;
        at = testValue(node.code, node.k, value) ? node.onTrue : node.onFalse;
      } else break;
    }
    if (end !== undefined && end !== at) return undefined;
    end = at;
  }
  return end === start ? undefined : end;
}

function threadJumps(nodes: FlowNode[], analysis: () => Analysis): boolean {
  const { states } = analysis();
  const facts = analysis().facts();
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const state = states[i];
    if (state === undefined || node.removed) continue;
    if (isJumpAlways(node.code)) {
      const to = followChain(nodes, node.onTrue, facts[i], state, i, Infinity);
      if (to !== node.onTrue) {
        node.onTrue = node.onFalse = to;
        changed = true;
      }
      continue;
    }
    if (!isConditional(node.code)) continue;
    for (let side = 0; side < 2; side++) {
      const outcome = side === 0;
      const edgeFacts = withFact(facts[i], state.a, node.code, node.k, outcome);
      const start = outcome ? node.onTrue : node.onFalse;
      const to = followChain(nodes, start, edgeFacts, state, i, 255);
      if (to === start) continue;
      if (outcome) node.onTrue = to;
      else node.onFalse = to;
      changed = true;
    }
  }
  return changed;
}

/** Makes `node` another instruction (fields set one by one: no object made for it). */
function rewrite(node: FlowNode, code: number, k: number, onTrue: number, onFalse: number): void {
  node.code = code;
  node.k = k;
  node.onTrue = onTrue;
  node.onFalse = onFalse;
}

/**
 * Same-target tests become `ja`; `ja` to a return becomes the return; `ja` to
 * the next node goes. With `dryRun`, only tells whether it would change anything.
 */
function simplifyJumps(nodes: FlowNode[], dryRun = false): boolean {
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.removed) continue;
    if (isConditional(node.code) && node.onTrue === node.onFalse) {
      if (dryRun) return true;
      node.code = JA;
      node.k = 0;
      changed = true;
    }
    if (isConditional(node.code)) {
      // Both ways end in the same return (two copies of `ret #0`, say): return here.
      const onTrue = nodes[firstKept(nodes, node.onTrue)];
      const onFalse = nodes[firstKept(nodes, node.onFalse)];
      if (
        onTrue !== undefined && onFalse !== undefined && isReturn(onTrue.code) &&
        onTrue.code === onFalse.code && (onTrue.code !== RET_K || onTrue.k === onFalse.k)
      ) {
        if (dryRun) return true;
        rewrite(node, onTrue.code, onTrue.k, i + 1, i + 1);
        changed = true;
        continue;
      }
    }
    if (!isJumpAlways(node.code)) continue;
    const target = firstKept(nodes, node.onTrue);
    if (target === firstKept(nodes, i + 1)) {
      if (dryRun) return true;
      node.removed = true;
      changed = true;
      continue;
    }
    const landing = nodes[target];
    if (landing !== undefined && isReturn(landing.code)) {
      if (dryRun) return true;
      rewrite(node, landing.code, landing.k, i + 1, i + 1);
      changed = true;
    }
  }
  return changed;
}

function firstKept(nodes: readonly FlowNode[], at: number): number {
  while (at < nodes.length && nodes[at]!.removed) at++;
  return at;
}

const A_LOADS = new Set([0x20, 0x28, 0x30, 0x80, 0x00, 0x87]);
const X_LOADS = new Set([0x81, 0xb1, 0x01, 0x07]);

/** A load (or tax/txa) that would put into its register what `state` says is already there. */
function isRedundantLoad(node: FlowNode, state: RegisterState): boolean {
  if (node.removed) return false;
  if (A_LOADS.has(node.code)) return state.a !== UNKNOWN && transfer(node, state).a === state.a;
  if (X_LOADS.has(node.code)) return state.x !== UNKNOWN && transfer(node, state).x === state.x;
  return false;
}

/** Drops loads that set a register to what it already holds on every path. */
function removeRedundantLoads(nodes: FlowNode[], analysis: () => Analysis): boolean {
  const { states } = analysis();
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const state = states[i];
    if (state !== undefined && isRedundantLoad(node, state)) {
      node.removed = true;
      changed = true;
    }
  }
  return changed;
}

/** Packet loads and division or modulo by X: the instructions that can reject a packet. */
function canReject(code: number): boolean {
  const cls = code & 0x07;
  if (cls === 0x00 || cls === 0x01) {
    return code === 0xb1 || (code & 0xe0) === 0x20 || (code & 0xe0) === 0x40;
  }
  return code === 0x3c || code === 0x9c;
}

/**
 * Drops instructions whose effects nobody sees because `ret #k` follows: all
 * of them before `ret #0` (rejecting early gives the same verdict), and
 * before another `ret #k` those that cannot reject the packet (loads of a
 * field tested on every path to them, see path_facts.ts, included).
 */
function removeDeadInstructions(nodes: FlowNode[], analysis: () => Analysis): boolean {
  const { states, facts } = analysis();
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (states[i] === undefined || node.removed) continue;
    if (isConditional(node.code) || isJumpAlways(node.code) || isReturn(node.code)) continue;
    const next = nodes[firstKept(nodes, i + 1)];
    if (next === undefined || next.code !== RET_K) continue;
    const value = loadedValue(node);
    const dead = next.k === 0 || !canReject(node.code) ||
      (value !== undefined && lookupFacts(facts()[i], value) !== undefined);
    if (dead) {
      node.removed = true;
      changed = true;
    }
  }
  return changed;
}

/**
 * Retargets jumps to the last of a set of equivalent nodes: same instruction
 * with equivalent successors. Working backwards, each node's successors have
 * their equivalence class already, so one pass finds every identical tail.
 */
function mergeIdenticalTails(nodes: FlowNode[]): boolean {
  const canonical = new Int32Array(nodes.length + 1);
  canonical[nodes.length] = nodes.length;
  // Keyed by a number made from the instruction and its successors (not a string: cheaper in a
  // first compile); a key already taken by a different node moves on to the next number.
  const seen = new Map<number, number>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (node.removed) {
      canonical[i] = canonical[i + 1]!;
      continue;
    }
    const ret = isReturn(node.code);
    const onTrue = ret ? -1 : canonical[node.onTrue]!;
    const onFalse = ret ? -1 : canonical[node.onFalse]!;
    let key = (Math.imul(node.code ^ node.k, 0x9e3779b1) ^ Math.imul(onTrue, 0x85ebca6b) ^
      Math.imul(onFalse, 0xc2b2ae35)) >>> 0;
    for (;;) {
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, i);
        canonical[i] = i;
        break;
      }
      const other = nodes[first]!;
      if (
        other.code === node.code && other.k === node.k &&
        (ret || (canonical[other.onTrue] === onTrue && canonical[other.onFalse] === onFalse))
      ) {
        canonical[i] = first;
        break;
      }
      key = (key + 1) >>> 0;
    }
  }
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.removed || !(isConditional(node.code) || isJumpAlways(node.code))) continue;
    const limit = isJumpAlways(node.code) ? Infinity : 255;
    const onTrue = canonical[node.onTrue]!;
    const onFalse = canonical[node.onFalse]!;
    if (onTrue !== node.onTrue && onTrue - i - 1 <= limit) {
      node.onTrue = onTrue;
      if (isJumpAlways(node.code)) node.onFalse = onTrue;
      changed = true;
    }
    if (isConditional(node.code) && onFalse !== node.onFalse && onFalse - i - 1 <= limit) {
      node.onFalse = onFalse;
      changed = true;
    }
  }
  return changed;
}

/** `and #m; jeq #0` → `jset #m` with the branches swapped (`jgt #0`: kept) where A is dead after. */
function foldMaskTests(nodes: FlowNode[]): boolean {
  // Liveness only once a candidate turns up (before any change, so it is what it was on entry).
  let live: Uint8Array | undefined;
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.removed || node.code !== 0x54) continue;
    const test = nodes[firstKept(nodes, i + 1)];
    if (test === undefined || test.k !== 0 || (test.code !== 0x15 && test.code !== 0x25)) continue;
    live ??= liveA(nodes);
    if (live[test.onTrue] || live[test.onFalse]) continue;
    const [onTrue, onFalse] = test.code === 0x15
      ? [test.onFalse, test.onTrue]
      : [test.onTrue, test.onFalse];
    if (Math.max(onTrue, onFalse) - i - 1 > 255) continue;
    rewrite(node, 0x45, node.k, onTrue, onFalse);
    changed = true;
  }
  return changed;
}

/**
 * Facts about values (packet fields, constants, the length: see
 * register_values.ts) that the tests on every path into an instruction have
 * established, e.g. "[12:2] == 0x800" after `ldh [12]; jeq #0x800` was true.
 * Such facts never go stale while a packet is filtered. Lists and the facts
 * in them are shared between instructions and never changed in place.
 */
import type { FlowNode } from "./flow_graph.ts";
import { isConditional, isReturn } from "./flow_graph.ts";
import {
  type BranchFacts,
  constantFacts,
  copyFacts,
  learn,
  mergeFacts,
  noFacts,
} from "./branch_facts.ts";
import { constantOf, type RegisterState, UNKNOWN, type Value } from "./register_values.ts";

/**
 * Facts about values as an immutable list with one entry per value: adding a
 * fact shares the rest of the list instead of copying a map.
 */
export interface FactsMap {
  readonly value: Value;
  readonly facts: BranchFacts;
  readonly rest: FactsMap | undefined;
}

/** Beyond this size per-instruction facts are not computed (merges make them quadratic at worst). */
const MAX_FACTS_PROGRAM = 65536;

/** The facts recorded about `value`, if any. */
export function lookupFacts(list: FactsMap | undefined, value: Value): BranchFacts | undefined {
  for (let at = list; at !== undefined; at = at.rest) if (at.value === value) return at.facts;
  return undefined;
}

/** No facts, shared by every lookup that finds none: never changed (withFact copies first). */
const NO_FACTS = noFacts();

/** The facts about `value` in `list` (a constant is its own fact). Not to be changed in place. */
export function factsAbout(list: FactsMap | undefined, value: Value): BranchFacts {
  const known = lookupFacts(list, value);
  if (known !== undefined) return known;
  const constant = constantOf(value);
  return constant === undefined ? NO_FACTS : constantFacts(constant);
}

/** `list` plus the outcome of test `code k` on `value`. */
export function withFact(
  list: FactsMap | undefined,
  value: Value,
  code: number,
  k: number,
  outcome: boolean,
): FactsMap {
  const updated = copyFacts(factsAbout(list, value));
  learn(updated, code, k, outcome);
  return { value, facts: updated, rest: without(list, value) };
}

/** `list` without the entry for `value`, sharing the part after it (keeps lists one entry per value). */
function without(list: FactsMap | undefined, value: Value): FactsMap | undefined {
  if (list === undefined) return undefined;
  if (list.value === value) return list.rest;
  if (lookupFacts(list.rest, value) === undefined) return list;
  return { value: list.value, facts: list.facts, rest: without(list.rest, value) };
}

function merge(a: FactsMap | undefined, b: FactsMap | undefined): FactsMap | undefined {
  if (a === b) return a;
  let merged: FactsMap | undefined;
  for (let at = a; at !== undefined; at = at.rest) {
    const other = lookupFacts(b, at.value);
    if (other !== undefined) {
      merged = { value: at.value, facts: mergeFacts(at.facts, other), rest: merged };
    }
  }
  return merged;
}

/**
 * The facts on entry to each instruction (undefined: none, or not reached). Only
 * K-form tests on a known value add facts: an unknown A, and A against X,
 * depend on registers and are tracked only along jump chains (optimize.ts).
 */
export function entryFacts(
  nodes: readonly FlowNode[],
  states: readonly (RegisterState | undefined)[],
): (FactsMap | undefined)[] {
  const facts: (FactsMap | undefined)[] = new Array(nodes.length).fill(undefined);
  if (nodes.length > MAX_FACTS_PROGRAM) return facts;
  // `reached` tells an empty list (no facts) from an instruction not reached yet.
  const reached = new Uint8Array(nodes.length);
  reached[0] = 1;
  const flow = (to: number, out: FactsMap | undefined) => {
    facts[to] = reached[to] ? merge(facts[to], out) : out;
    reached[to] = 1;
  };
  for (let i = 0; i < nodes.length; i++) {
    const input = facts[i];
    const state = states[i];
    if (!reached[i] || state === undefined) continue;
    const node = nodes[i]!;
    const learns = !node.removed && isConditional(node.code) && (node.code & 0x08) === 0 &&
      state.a !== UNKNOWN && node.onTrue !== node.onFalse;
    if (learns) {
      flow(node.onTrue, withFact(input, state.a, node.code, node.k, true));
      flow(node.onFalse, withFact(input, state.a, node.code, node.k, false));
    } else if (!isReturn(node.code)) {
      flow(node.onTrue, input);
      if (node.onFalse !== node.onTrue) flow(node.onFalse, input);
    }
  }
  return facts;
}

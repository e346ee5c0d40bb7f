/**
 * What the passes of one emulation of libpcap's optimiser share: the value
 * numbers of the pass, optimize.c's "something changed" flags, and a work
 * budget that bounds the whole analysis; and the two ways it can stop early.
 */
import type { ValueTable } from "./value_numbers.ts";

/** What the passes share: value numbers and the "something changed" flags. */
export interface PassState {
  values: ValueTable;
  /** Nothing changed in this pass (optimize.c's `done`). */
  done: boolean;
  /** Something other than branch movement changed (its loop detection). */
  nonBranchMovement: boolean;
  /** Bounds the analysis (proves_empty.ts WORK_BUDGET). */
  readonly budget: WorkBudget;
}

/** Work left (words of bit sets visited), shared by the passes of one analysis. */
export interface WorkBudget {
  left: number;
}

/** The analysis ran out of its budget: the program is too large to decide cheaply. */
export class BudgetExceeded extends Error {
  override name = "BudgetExceeded";
}

/** Takes `work` from the budget; throws BudgetExceeded when it runs out. */
export function spend(budget: WorkBudget, work: number): void {
  budget.left -= work;
  if (budget.left < 0) throw new BudgetExceeded();
}

/** An error libpcap's optimiser reports ("division by zero"), which fails pcap_compile. */
export class OptimizerError extends Error {
  override name = "OptimizerError";
}

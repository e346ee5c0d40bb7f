/**
 * The filter compiler's entry point: a tcpdump filter expression to a
 * classic BPF program and a JIT-compiled matcher for it.
 */
import { FilterRejectsAllError, FilterSemanticError } from "./errors.ts";
import { parseFilter } from "./lang/parse.ts";
import type { Arith, Expr } from "./lang/ast.ts";
import { newLowerContext } from "./lang/lower/context.ts";
import { lowerExpr } from "./lang/lower/lower.ts";
import { finish } from "./lang/lower/blocks.ts";
import { assemble } from "./lang/assemble.ts";
import type { RawProgram } from "./program/raw_instruction.ts";
import { jitCompile, type PacketMatcher } from "./program/jit.ts";
import { optimizeProgram } from "./program/optimize.ts";
import { libpcapVerdict } from "./program/rejects_all/proves_empty.ts";
import { interpreterMatcher } from "./program/interpret.ts";
import { findWitness } from "./program/witness.ts";

export type { PacketMatcher };

export interface CompileOptions {
  /** LINKTYPE_* of the packets; only Ethernet (1) is supported. */
  readonly linkType?: number;
  /** Returned for accepted packets (default 262144, libpcap's maximum). */
  readonly snaplen?: number;
  /** IPv4 netmask for `ip broadcast`; without it `ip broadcast` is refused as libpcap does. */
  readonly netmask?: number;
  /** Run the back end's optimiser (default true); false gives the lowering's program as built. */
  readonly optimize?: boolean;
  /**
   * Make the program libpcap's gencode.c makes, block for block, for
   * comparison with `tcpdump -O` (default false: follow what libpcap's
   * optimiser leaves).
   */
  readonly exactGencode?: boolean;
  /**
   * Skip the replay of libpcap's optimiser that decides "expression rejects
   * all packets" when a packet the filter accepts is found (default true; see
   * acceptsWitness). False replays it always, as the tests do to compare.
   */
  readonly witnessShortcut?: boolean;
}

export interface CompiledFilter {
  readonly program: RawProgram;
  readonly match: PacketMatcher;
}

const LINKTYPE_ETHERNET = 1;
const DEFAULT_SNAPLEN = 262144;

/** The classic BPF program for `expression` (no JIT). Throws the typed errors of errors.ts. */
export function compileProgram(expression: string, options: CompileOptions = {}): RawProgram {
  return compile(expression, options, false).program;
}

/** Compiles `expression` to a program and its JIT-compiled matcher (0 = reject). */
export function compileFilter(expression: string, options: CompileOptions = {}): CompiledFilter {
  const { program, match } = compile(expression, options, true);
  return { program, match: match ?? jitCompile(program) };
}

/**
 * The program, and its JIT-compiled matcher when `jit` is set and the
 * compile needed one (to try a witness; see acceptsWitness).
 */
function compile(
  expression: string,
  options: CompileOptions,
  jit: boolean,
): { readonly program: RawProgram; readonly match: PacketMatcher | undefined } {
  const linkType = options.linkType ?? LINKTYPE_ETHERNET;
  if (linkType !== LINKTYPE_ETHERNET) {
    throw new FilterSemanticError(
      `link type ${linkType} is not supported (fmagent filters Ethernet captures, link type 1)`,
    );
  }
  const ast = parseFilter(expression);
  const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
  if (ast === undefined) return { program: assemble(undefined, snaplen), match: undefined };
  // libpcap turns its optimiser off for a filter with `protochain` or `geneve`: then every load is made.
  const optimizerOff = turnsOffLibpcapOptimizer(ast);
  const exact = (options.exactGencode ?? false) || optimizerOff;
  const program = lowerProgram(expression, ast, options.netmask, exact, snaplen);
  if (options.optimize === false || optimizerOff) {
    return {
      program: options.optimize === false ? program : optimizeProgram(program),
      match: undefined,
    };
  }
  // The accept return must differ from `ret #0` for the analysis (snaplen 0 would make them equal).
  const gencode = exact && snaplen !== 0 ? program : undefined;
  const refuse = () => refuseWhatLibpcapRefuses(expression, ast, options.netmask, gencode);
  let optimized: RawProgram;
  try {
    optimized = optimizeProgram(program);
  } catch (error) {
    refuse(); // the refusal comes first, as it always has
    throw error;
  }
  const match = jit ? jitCompile(optimized) : undefined;
  if (options.witnessShortcut === false || !acceptsWitness(ast, optimized, match)) refuse();
  return { program: optimized, match };
}

/**
 * Whether a packet is known that the filter accepts, which proves that
 * libpcap's optimiser cannot reduce it to `ret #0` (it keeps the verdict of
 * every packet, and fmagent's program has tcpdump's verdicts): then the
 * replay of that optimiser, the costliest part of a first compile, is not
 * needed. Not for filters with `/`, `%`, `<<` or `>>` by anything but a
 * literal (a divisor other than 0, a shift below 32), on which that optimiser
 * can fail whatever the packets (division by a constant zero, a shift by 32
 * or more). The witness is proposed by findWitness and must be accepted by
 * the matcher itself.
 */
export function acceptsWitness(
  ast: Expr,
  program: RawProgram,
  match: PacketMatcher | undefined,
): boolean {
  if (hasFailingArithmetic(ast)) return false;
  const witness = findWitness(program);
  if (witness === undefined) return false;
  const matcher = match ?? interpreterMatcher(program);
  return matcher(witness, 0, witness.length, witness.length) !== 0;
}

function lowerProgram(
  expression: string,
  ast: Expr,
  netmask: number | undefined,
  exact: boolean,
  snaplen: number,
): RawProgram {
  const ctx = newLowerContext(expression, netmask, exact);
  try {
    return assemble(finish(lowerExpr(ctx, ast)), snaplen);
  } catch (error) {
    // Lowering recurses over the tree; a pathological expression can exhaust the stack.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new FilterSemanticError("expression too complex to compile");
    }
    throw error;
  }
}

/**
 * tcpdump (libpcap's optimiser on) refuses a filter its optimiser reduces to
 * `ret #0`, and one on which the optimiser fails (a division by a constant
 * that folds to zero). Decided on gencode's program (`exactProgram`, or
 * lowered here), as libpcap decides it; fmagent's own optimiser proves other
 * things and plays no part.
 */
function refuseWhatLibpcapRefuses(
  expression: string,
  ast: Expr,
  netmask: number | undefined,
  exactProgram: RawProgram | undefined,
): void {
  let gencode = exactProgram;
  if (gencode === undefined) {
    try {
      gencode = lowerProgram(expression, ast, netmask, true, DEFAULT_SNAPLEN);
    } catch {
      return; // gencode's shape needs more scratch memory: keep the filter (never refuse more)
    }
  }
  const verdict = libpcapVerdict(gencode);
  if (verdict.kind === "rejects all") throw new FilterRejectsAllError();
  if (verdict.kind === "error") throw new FilterSemanticError(verdict.message);
}

function turnsOffLibpcapOptimizer(node: Expr): boolean {
  switch (node.kind) {
    case "and":
    case "or":
      return turnsOffLibpcapOptimizer(node.left) || turnsOffLibpcapOptimizer(node.right);
    case "not":
      return turnsOffLibpcapOptimizer(node.operand);
    case "id":
      return node.q.addr === "protochain";
    case "encap":
      return node.encap === "geneve";
    default:
      return false;
  }
}

/** Arithmetic with an operator libpcap's optimiser can fail on when it folds constants. */
function hasFailingArithmetic(node: Expr): boolean {
  switch (node.kind) {
    case "and":
    case "or":
      return hasFailingArithmetic(node.left) || hasFailingArithmetic(node.right);
    case "not":
      return hasFailingArithmetic(node.operand);
    case "relation":
      return failingOperator(node.left) || failingOperator(node.right);
    default:
      return false;
  }
}

function failingOperator(node: Arith): boolean {
  switch (node.kind) {
    case "binary":
      return (FAILING_OPERATORS.has(node.op) && !safeOperand(node.op, node.right)) ||
        failingOperator(node.left) || failingOperator(node.right);
    case "neg":
      return failingOperator(node.operand);
    case "load":
      return failingOperator(node.index);
    default:
      return false;
  }
}

const FAILING_OPERATORS: ReadonlySet<string> = new Set(["/", "%", "<<", ">>"]);

/**
 * A literal divisor other than 0, or a literal shift below 32: X holds that
 * number where libpcap's optimiser folds the operation, so it cannot fail
 * there (`tcp[12] >> 4`, `len / 2`).
 */
function safeOperand(op: string, right: Arith): boolean {
  if (right.kind !== "const") return false;
  return op === "/" || op === "%" ? right.value !== 0 : right.value <= 31;
}

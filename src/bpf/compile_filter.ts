/**
 * The filter compiler's entry point: a tcpdump filter expression to a
 * classic BPF program and a JIT-compiled matcher for it.
 */
import { FilterRejectsAllError, FilterSemanticError } from "./errors.ts";
import { parseFilter } from "./lang/parse.ts";
import type { Expr } from "./lang/ast.ts";
import { newLowerContext } from "./lang/lower/context.ts";
import { lowerExpr } from "./lang/lower/lower.ts";
import { finish } from "./lang/lower/blocks.ts";
import { assemble } from "./lang/assemble.ts";
import type { RawProgram } from "./program/raw_instruction.ts";
import { jitCompile, type PacketMatcher } from "./program/jit.ts";
import { optimizeProgram } from "./program/optimize.ts";
import { libpcapVerdict } from "./program/rejects_all/proves_empty.ts";

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
}

export interface CompiledFilter {
  readonly program: RawProgram;
  readonly match: PacketMatcher;
}

const LINKTYPE_ETHERNET = 1;
const DEFAULT_SNAPLEN = 262144;

/** The classic BPF program for `expression` (no JIT). Throws the typed errors of errors.ts. */
export function compileProgram(expression: string, options: CompileOptions = {}): RawProgram {
  const linkType = options.linkType ?? LINKTYPE_ETHERNET;
  if (linkType !== LINKTYPE_ETHERNET) {
    throw new FilterSemanticError(
      `link type ${linkType} is not supported (fmagent filters Ethernet captures, link type 1)`,
    );
  }
  const ast = parseFilter(expression);
  const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
  if (ast === undefined) return assemble(undefined, snaplen);
  // libpcap turns its optimiser off for a filter with `protochain` or `geneve`: then every load is made.
  const optimizerOff = turnsOffLibpcapOptimizer(ast);
  const exact = (options.exactGencode ?? false) || optimizerOff;
  const program = lowerProgram(expression, ast, options.netmask, exact, snaplen);
  if (options.optimize === false) return program;
  if (!optimizerOff) {
    // The accept return must differ from `ret #0` for the analysis (snaplen 0 would make them equal).
    const gencode = exact && snaplen !== 0 ? program : undefined;
    refuseWhatLibpcapRefuses(expression, ast, options.netmask, gencode);
  }
  return optimizeProgram(program);
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

/** Compiles `expression` to a program and its JIT-compiled matcher (0 = reject). */
export function compileFilter(expression: string, options: CompileOptions = {}): CompiledFilter {
  const program = compileProgram(expression, options);
  return { program, match: jitCompile(program) };
}

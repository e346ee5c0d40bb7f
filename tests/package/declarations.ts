/**
 * Checks that hand-written declarations (the npm package's types/mod.d.ts)
 * tell the truth about a module (mod.ts): the same exported names (deno doc),
 * and, through a generated file that `deno check` must accept, agreeing
 * types — functions and constants assignable both ways, non-generic types
 * equal, classes constructible as declared with the same public members.
 */
import { REPO_ROOT, run } from "./support.ts";

export interface ExportedSymbol {
  readonly name: string;
  readonly kind: string;
  readonly generic: boolean;
  /** A class whose constructor is private (built through a static factory). */
  readonly privateConstructor: boolean;
}

/** The exports of `path` as deno doc sees them (re-exports followed). */
export async function exportedSymbols(path: string): Promise<ExportedSymbol[]> {
  const out = await run(Deno.execPath(), ["doc", "--json", path]);
  if (out.code !== 0) throw new Error(`deno doc ${path}: ${out.stderr}`);
  const doc = JSON.parse(out.stdout) as {
    nodes: Record<string, {
      symbols: {
        name: string;
        declarations: {
          kind: string;
          declarationKind?: string;
          def?: { typeParams?: unknown[]; constructors?: { accessibility?: string }[] };
        }[];
      }[];
    }>;
  };
  const symbols: ExportedSymbol[] = [];
  for (const file of Object.values(doc.nodes)) {
    for (const s of file.symbols) {
      const declaration = s.declarations.find((d) => d.declarationKind === "export");
      if (declaration === undefined) continue;
      symbols.push({
        name: s.name,
        kind: declaration.kind,
        generic: (declaration.def?.typeParams?.length ?? 0) > 0,
        privateConstructor: (declaration.def?.constructors ?? []).some((c) =>
          c.accessibility === "private"
        ),
      });
    }
  }
  return symbols.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The checks for one export. Real values must satisfy the declarations (M
 * assignable to D) with the same parameter counts and member names. The
 * reverse direction cannot be asked of everything: a real class's #private
 * fields make it nominal, so no declared class is assignable to it.
 */
function checkFor(s: ExportedSymbol, i: number): string {
  const n = s.name;
  switch (s.kind) {
    case "function":
      return `const real${i}: typeof D.${n} = M.${n};\n` +
        `type Arity${i} = Assert<Same<Parameters<typeof M.${n}>["length"], Parameters<typeof D.${n}>["length"]>>;`;
    case "variable":
      return `const real${i}: typeof D.${n} = M.${n};`;
    case "class":
      return [
        `type Instance${i} = Assert<Extends<M.${n}, D.${n}>>;`,
        `type Members${i} = Assert<Same<keyof M.${n}, keyof D.${n}>>;`,
        `type Statics${i} = Assert<Extends<Omit<typeof M.${n}, "prototype">, Omit<typeof D.${n}, "prototype">>>;`,
        `type StaticNames${i} = Assert<Same<keyof typeof M.${n}, keyof typeof D.${n}>>;`,
        ...(s.privateConstructor ? [] : [
          `const real${i}: typeof D.${n} = M.${n};`,
          `type Arity${i} = Assert<Same<ConstructorParameters<typeof M.${n}>["length"], ConstructorParameters<typeof D.${n}>["length"]>>;`,
        ]),
      ].join("\n");
    case "interface":
    case "typeAlias":
    case "enum":
      return s.generic
        ? `// ${n} is generic: checked by name only`
        : `type Type${i} = Assert<Extends<M.${n}, D.${n}>>;\ntype Keys${i} = Assert<Same<keyof M.${n}, keyof D.${n}>>;`;
    default:
      return `// ${n}: ${s.kind}, checked by name only`;
  }
}

/** A TypeScript file that type-checks only if `declarations` agree with `module`. */
export function agreementSource(
  module: string,
  declarations: string,
  symbols: readonly ExportedSymbol[],
): string {
  return [
    `import * as M from "file://${module}";`,
    `import type * as D from "file://${declarations}";`,
    "type Extends<A, B> = [A] extends [B] ? true : false;",
    "type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;",
    "type Assert<T extends true> = T;",
    "declare const d: typeof D;",
    ...symbols.map(checkFor),
    "export {};",
    "",
  ].join("\n");
}

/** Runs `deno check` on the agreement file; returns its diagnostics ("" when they agree). */
export async function checkAgreement(module: string, declarations: string): Promise<string> {
  const [real, declared] = await Promise.all([
    exportedSymbols(module),
    exportedSymbols(declarations),
  ]);
  const realNames = real.map((s) => s.name);
  const declaredNames = declared.map((s) => s.name);
  const missing = realNames.filter((n) => !declaredNames.includes(n));
  const extra = declaredNames.filter((n) => !realNames.includes(n));
  if (missing.length || extra.length) {
    return `exports differ: not declared in ${declarations} [${
      missing.join(", ")
    }], declared but not exported [${extra.join(", ")}]`;
  }
  const dir = await Deno.makeTempDir({ prefix: "fmagent-types-" });
  try {
    await Deno.writeTextFile(`${dir}/agreement.ts`, agreementSource(module, declarations, real));
    const out = await run(Deno.execPath(), [
      "check",
      "--config",
      `${REPO_ROOT}/deno.json`,
      `${dir}/agreement.ts`,
    ]);
    // deno-lint-ignore no-control-regex
    const text = out.stderr.replace(/\x1b\[[0-9;]*m/g, "");
    // Type errors inside the app itself are the suite's `deno check`'s to report, not ours.
    const ours = text.includes(`${dir}/agreement.ts:`) || text.includes(`${declarations}:`);
    return out.code === 0 || !ours ? "" : text;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

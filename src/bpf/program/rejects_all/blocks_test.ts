import { assertEquals } from "../../../../tests/support/assert.ts";
import type { RawInstruction } from "../raw_instruction.ts";
import { toBlockGraph } from "./blocks.ts";

const i = (code: number, k = 0, jt = 0, jf = 0): RawInstruction => ({ code, jt, jf, k });

Deno.test("toBlockGraph: blocks numbered depth first from the root, true side first", () => {
  const program = [
    i(0x28, 12), // 0: ldh [12]
    i(0x15, 0x800, 0, 3), // 1: jeq #0x800 -> 2 : 5
    i(0x30, 23), // 2: ldb [23]
    i(0x15, 6, 2, 0), // 3: jeq #6 -> 6 : 4
    i(0x05, 1), // 4: ja 6 (a trampoline: followed)
    i(0x06, 0), // 5: ret #0
    i(0x06, 96), // 6: ret #96
  ];
  const { root, blocks, edges } = toBlockGraph(program);
  const shape = blocks.map((b) => ({
    stmts: b.stmts.map((s) => s.k),
    k: b.s.k,
    t: b.et.succ?.id,
    f: b.ef.succ?.id,
  }));
  assertEquals(shape, [
    { stmts: [12], k: 0x800, t: 1, f: 3 },
    { stmts: [23], k: 6, t: 2, f: 2 },
    { stmts: [], k: 96, t: undefined, f: undefined },
    { stmts: [], k: 0, t: undefined, f: undefined },
  ]);
  assertEquals(root.id, 0);
  // True edges are numbered like their blocks, false edges after them.
  assertEquals(edges.map((e) => [e.id, e.pred.id]), [
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 0],
    [5, 1],
    [6, 2],
    [7, 3],
  ]);
});

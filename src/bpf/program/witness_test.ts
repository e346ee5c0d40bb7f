import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { compileProgram } from "../compile_filter.ts";
import { interpret } from "./interpret.ts";
import type { RawInstruction, RawProgram } from "./raw_instruction.ts";
import { findWitness } from "./witness.ts";
import { expressionGenerator } from "../../../tests/bpf/support/expression_generator.ts";

const i = (code: number, k: number, jt = 0, jf = 0): RawInstruction => ({ code, jt, jf, k });

function accepted(program: RawProgram, witness: Uint8Array): boolean {
  return interpret(program, witness, 0, witness.length, witness.length) !== 0;
}

Deno.test("findWitness: a packet each filter accepts, steered through fields, masks and the length", () => {
  for (
    const expression of [
      "udp",
      "udp and port 53",
      "tcp[tcpflags] & tcp-syn != 0",
      "net 10.0.0.0/16 and not port 80",
      "vlan and ip[2:2] > 600",
      "ip6 and tcp dst port 443",
      "arp and ether broadcast",
      "greater 9000 and udp",
      "less 60 and icmp",
      "mpls 5 and host 1.2.3.4",
      "ip[0] >> 4 = 4 and ip[0] & 0xf > 5",
      "ether host 0:11:22:33:44:55 and not ip",
      // Only the second branch of the `or` can match: the search must leave the first.
      "mpls 5 or (ip6 host fe80::1 and ip broadcast)",
      // Through multiplication, division and remainder.
      "len % 7 = 3",
      "ip[2:2] / 4 = 100 and ip[6:2] * 3 = 300",
      // Fields compared through scratch memory and X.
      "ip[2:2] - ip[0] = 1000",
      "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
    ]
  ) {
    for (const optimize of [true, false]) {
      const program = compileProgram(expression, { netmask: 0xffffff00, optimize });
      const witness = findWitness(program);
      assert(witness !== undefined, `${expression} (optimize ${optimize}): no witness`);
      assert(accepted(program, witness), `${expression}: witness not accepted`);
    }
  }
});

Deno.test("findWitness: none for programs that accept nothing, or that loop", () => {
  for (
    const expression of [
      "ip and ip6",
      "port 80 and not port 80",
      "len > 100 and len < 50",
      "icmp and ip[9] = 6",
      "ip6 proto 0x86dd",
    ]
  ) {
    const program = compileProgram(expression, { optimize: false });
    assertEquals(findWitness(program), undefined, expression);
  }
  assertEquals(findWitness([i(0x06, 0)]), undefined);
  // ld #1; jeq #5 (never); ja back to the start; ret #1: a backward jump.
  assertEquals(
    findWitness([i(0x00, 1), i(0x15, 5, 1, 0), i(0x05, -3 >>> 0), i(0x06, 1)]),
    undefined,
  );
  assertEquals(findWitness([i(0x06, 0x40000)])?.length, 1514);
});

Deno.test("findWitness: every witness of random expressions is accepted by the interpreter", () => {
  const next = expressionGenerator(4242);
  let found = 0;
  for (let n = 0; n < 300; n++) {
    const expression = next();
    let program: RawProgram;
    try {
      program = compileProgram(expression, { netmask: 0, witnessShortcut: false });
    } catch {
      continue; // refused: other tests cover refusals
    }
    const witness = findWitness(program);
    if (witness === undefined) continue;
    found++;
    assert(accepted(program, witness), `${expression}: witness not accepted`);
  }
  // The search must keep finding witnesses, or this test checks little.
  assert(found >= 150, `only ${found} witnesses`);
});

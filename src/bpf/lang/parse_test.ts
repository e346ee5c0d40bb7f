import { parseFilter } from "./parse.ts";
import { lex } from "./lex.ts";
import { FilterSyntaxError } from "../errors.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

Deno.test("lex: longest match, keywords, named numbers, addresses", () => {
  assertEquals(lex("len-1 tcp-syn ::1 1.2.3.4 aa:bb:cc:dd:ee:ff 0x10").map((t) => t.kind), [
    "id",
    "num",
    "hid6",
    "hid",
    "eid",
    "num",
    "eof",
  ]);
});

Deno.test("parse: qualifiers are inherited after and/or", () => {
  const ast = parseFilter("tcp src port 80 or 443");
  if (ast?.kind !== "or" || ast.right.kind !== "id") throw new Error("expected an id on the right");
  assertEquals(ast.right.q, { proto: "tcp", dir: "src", addr: "port" });
});

Deno.test("parse: ^ and % take everything to their right, as yacc shifts them", () => {
  const ast = parseFilter("1 + 2 ^ 3 = 2");
  if (ast?.kind !== "relation") throw new Error("expected a relation");
  assertEquals(ast.left, {
    kind: "binary",
    op: "+",
    left: { kind: "const", value: 1 },
    right: {
      kind: "binary",
      op: "^",
      left: { kind: "const", value: 2 },
      right: { kind: "const", value: 3 },
    },
  });
});

Deno.test("syntax errors carry the offset and a caret line", () => {
  try {
    parseFilter("tcp port");
    throw new Error("no error");
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
    assertEquals(error.offset, 8);
    assertEquals(error.exitCode, 2);
    if (!error.message.includes("\n  tcp port\n          ^")) throw new Error(error.message);
  }
});

function syntaxErrorOf(expression: string): FilterSyntaxError {
  try {
    parseFilter(expression);
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error;
    throw error;
  }
  throw new Error(`no syntax error for '${expression}'`);
}

Deno.test("lex: numbers follow libpcap's scanner (octal, hex, 32-bit range)", () => {
  assertEquals(lex("010 0x1F 4294967295").map((t) => t.value), [8, 31, 4294967295, 0]);
  assertEquals(syntaxErrorOf("port 08").reason, "number 08 contains non-octal digit");
  assertEquals(syntaxErrorOf("len > 4294967296").reason, "number 4294967296 overflows 32 bits");
});

Deno.test("lex: address forms", () => {
  const kinds = (s: string) => lex(s).slice(0, -1).map((t) => t.kind);
  assertEquals(kinds("::ffff:1.2.3.4 fe80::1 1:2:3:4:5:6:7:8"), ["hid6", "hid6", "hid6"]);
  assertEquals(kinds("0011.2233.4455 01-00-5e-00-00-01 001122334455"), ["eid", "eid", "eid"]);
  assertEquals(kinds("10 10.1 10.1.2 10.1.2.3 10.1.2.3.4"), ["num", "hid", "hid", "hid", "id"]);
  assertEquals(syntaxErrorOf("host 1::2::3").reason, "bogus IPv6 address 1::2::3");
});

Deno.test("parse: parenthesised identifiers follow libpcap's pid rule", () => {
  parseFilter("host (1.2.3.4 or (1.2.3.5))");
  parseFilter("port ((80))");
  syntaxErrorOf("host ((1.2.3.4))");
});

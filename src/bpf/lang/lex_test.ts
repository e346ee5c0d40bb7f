import { lex, parseIpv6, type Token } from "./lex.ts";
import { FilterSyntaxError } from "../errors.ts";
import { assertEquals, assertThrows } from "../../../tests/support/assert.ts";

/** A token as `kind text start-end`, with `=value` for numbers; eof left out. */
function show(token: Token): string {
  const value = token.kind === "num" ? `=${token.value}` : "";
  return `${token.kind} ${token.text}${value} ${token.start}-${token.end}`;
}

/** Each expression and its tokens, as `show` writes them. */
const TOKENS: ReadonlyArray<readonly [string, readonly string[]]> = [
  // MAC addresses: 1 or 2 hex digits per byte, three separators, two dotless forms.
  ["1:2:3:4:5:6", ["eid 1:2:3:4:5:6 0-11"]],
  ["01-02-03-04-05-06", ["eid 01-02-03-04-05-06 0-17"]],
  ["1.2.3.4.5.6", ["eid 1.2.3.4.5.6 0-11"]],
  ["0102.0304.0506", ["eid 0102.0304.0506 0-14"]],
  ["010203040506", ["eid 010203040506 0-12"]],
  ["abcdef123456", ["eid abcdef123456 0-12"]],
  ["ether host 01:02:03:04:05:06", [
    "keyword link 0-5",
    "keyword host 6-10",
    "eid 01:02:03:04:05:06 11-28",
  ]],
  // The last byte takes two digits at most; a longer dotted run is a dotted number.
  ["1:2:3:4:5:678", ["eid 1:2:3:4:5:67 0-12", "num 8=8 12-13"]],
  ["0102.0304.05067", ["hid 0102.0304.05067 0-15"]],
  // IPv6: `::` beats the `:` operator; 8 groups without `::`; an IPv4 tail.
  ["::", ["hid6 :: 0-2"]],
  ["::1", ["hid6 ::1 0-3"]],
  ["fe80::1", ["hid6 fe80::1 0-7"]],
  ["fe80::1%eth0", ["hid6 fe80::1 0-7", "op % 7-8", "id eth0 8-12"]],
  ["::ffff:1.2.3.4", ["hid6 ::ffff:1.2.3.4 0-14"]],
  ["1:2:3:4:5:6:7:8", ["hid6 1:2:3:4:5:6:7:8 0-15"]],
  ["ip6 net fe80::/10", [
    "keyword ip6 0-3",
    "keyword net 4-7",
    "hid6 fe80:: 8-14",
    "op / 14-15",
    "num 10=10 15-17",
  ]],
  ["12345::1", ["num 12345=12345 0-5", "hid6 ::1 5-8"]],
  [":a", ["op : 0-1", "id a 1-2"]],
  ["x:y", ["id x 0-1", "op : 1-2", "id y 2-3"]],
  ["ffff:", ["id ffff 0-4", "op : 4-5"]],
  ["0:0", ["num 0=0 0-1", "op : 1-2", "num 0=0 2-3"]],
  // Dotted IPv4 forms of 2 to 4 parts; 1 part is a number, 5 a name.
  ["10", ["num 10=10 0-2"]],
  ["10.1", ["hid 10.1 0-4"]],
  ["1.2.3.4", ["hid 1.2.3.4 0-7"]],
  ["1.2.3.4.5", ["id 1.2.3.4.5 0-9"]],
  ["0x1.2", ["hid 0x1.2 0-5"]],
  ["1.0xab", ["hid 1.0xab 0-6"]],
  ["1.0x", ["id 1.0x 0-4"]],
  // Numbers: decimal, hex, leading-zero octal, 32 bits; `0x` alone is a name.
  ["0x10", ["num 0x10=16 0-4"]],
  ["0X1f", ["num 0X1f=31 0-4"]],
  ["010", ["num 010=8 0-3"]],
  ["4294967295", ["num 4294967295=4294967295 0-10"]],
  ["0x", ["id 0x 0-2"]],
  // Names: `.`, `-`, `_` inside, not `-` or `_` at the end; keywords and named numbers.
  ["len-1", ["id len-1 0-5"]],
  ["len - 1", ["keyword len 0-3", "op - 4-5", "num 1=1 6-7"]],
  ["tcp-syn", ["num tcp-syn=2 0-7"]],
  ["host-1.example_x", ["id host-1.example_x 0-16"]],
  ["a.", ["id a. 0-2"]],
  ["a..b", ["id a..b 0-4"]],
  ["a-", ["id a 0-1", "op - 1-2"]],
  ["tcp[tcpflags]", ["keyword tcp 0-3", "op [ 3-4", "num tcpflags=13 4-12", "op ] 12-13"]],
  // Escaped names are never keywords; ARCnet addresses take two hex digits at most.
  ["\\ip", ["id ip 0-3"]],
  ["\\ip and", ["id ip 0-3", "keyword and 4-7"]],
  ["$0a", ["aid $0a 0-3"]],
  ["$0abc", ["aid $0a 0-3", "id bc 3-5"]],
  // Two-character operators and their keyword spellings.
  ["a&&b||!c", [
    "id a 0-1",
    "keyword and 1-3",
    "id b 3-4",
    "keyword or 4-6",
    "keyword not 6-7",
    "id c 7-8",
  ]],
  ["port 80 == 1", ["keyword port 0-4", "num 80=80 5-7", "op = 8-10", "num 1=1 11-12"]],
  ["net 10.0.0.0/16 and not port 80", [
    "keyword net 0-3",
    "hid 10.0.0.0 4-12",
    "op / 12-13",
    "num 16=16 13-15",
    "keyword and 16-19",
    "keyword not 20-23",
    "keyword port 24-28",
    "num 80=80 29-31",
  ]],
];

/** Each expression the lexer refuses, with the reason and offset. */
const ERRORS: ReadonlyArray<readonly [string, string, number]> = [
  ["08", "number 08 contains non-octal digit", 0],
  ["4294967296", "number 4294967296 overflows 32 bits", 0],
  ["0x100000000", "number 0x100000000 overflows 32 bits", 0],
  ["0102030405067", "number 0102030405067 overflows 32 bits", 0],
  ["1:2:", "bogus ethernet address 1:2:", 0],
  ["1:2:3", "bogus ethernet address 1:2:", 0],
  ["a:b:c", "bogus ethernet address a:b:", 0],
  [":1:2:3:4:5:6:7", "bogus ethernet address 1:2:3:4:5:6:", 1],
  ["1:2:3:4:5:6:7:8:9", "bogus ethernet address 1:2:3:4:5:6:7:8:", 0],
  ["::ffff:1.2.3.256", "bogus IPv6 address ::ffff:1.2.3.256", 0],
  ["aa::bb::", "bogus IPv6 address aa::bb::", 0],
  ["1::2::3", "bogus IPv6 address 1::2::3", 0],
  [":::", "bogus IPv6 address :::", 0],
  ["1:2:3:4:5:6:7:1.2.3.4", "bogus IPv6 address 1:2:3:4:5:6:7:1.2.3.4", 0],
  ["::1.2.3", "unexpected character '.'", 3],
  ["\\", "unexpected character '\\'", 0],
  ["$", "unexpected character '$'", 0],
  ["$g", "unexpected character '$'", 0],
  ["a_", "unexpected character '_'", 1],
  ["_a", "unexpected character '_'", 0],
  [".a", "unexpected character '.'", 0],
  ["host é", "unexpected character 'é'", 5],
];

for (const [expression, expected] of TOKENS) {
  Deno.test(`lex: ${expression}`, () => {
    const tokens = lex(expression);
    assertEquals(tokens.slice(0, -1).map(show), expected);
    assertEquals(tokens.at(-1), {
      kind: "eof",
      text: "",
      value: 0,
      start: expression.length,
      end: expression.length,
    });
  });
}

for (const [expression, reason, offset] of ERRORS) {
  Deno.test(`lex refuses ${expression}`, () => {
    const error = assertThrows(() => lex(expression), FilterSyntaxError);
    assertEquals([error.reason, error.offset], [reason, offset]);
  });
}

Deno.test("lex: whitespace separates tokens and is skipped", () => {
  assertEquals(lex(" \tip\r\nor  udp ").slice(0, -1).map(show), [
    "keyword ip 2-4",
    "keyword or 6-8",
    "keyword udp 10-13",
  ]);
});

Deno.test("parseIpv6: the 16 bytes of each form, undefined for malformed text", () => {
  const hex = (text: string) => {
    const bytes = parseIpv6(text);
    return bytes && Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };
  assertEquals(hex("::"), "00000000000000000000000000000000");
  assertEquals(hex("::1"), "00000000000000000000000000000001");
  assertEquals(hex("fe80::1"), "fe800000000000000000000000000001");
  assertEquals(hex("1:2:3:4:5:6:7:8"), "00010002000300040005000600070008");
  assertEquals(hex("::ffff:1.2.3.4"), "00000000000000000000ffff01020304");
  assertEquals(hex("64:ff9b::192.0.2.33"), "0064ff9b0000000000000000c0000221");
  for (const bad of ["1:2:3", "1::2::3", ":::", "::ffff:1.2.3.256", "::1.2.3.0001", "12345::"]) {
    assertEquals(hex(bad), undefined, bad);
  }
});

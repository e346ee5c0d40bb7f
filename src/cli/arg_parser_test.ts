import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { Command, InvalidArgumentError, Option } from "./arg_parser.ts";

function sample() {
  return new Command("fmagent x")
    .description("a sample")
    .argument("[words...]", "the words")
    .option("-r <file>", "read FILE", "-")
    .option("-c, --count <n>", "count", (v: string) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError("expected a number");
      return Number(v);
    })
    .option("-v, --verbose", "talk")
    .option("-U", "unbuffered")
    .option("--no-eof", "no end of stream")
    .option("--time-stamp-precision <unit>", "unit")
    .addOption(new Option("--mode <m>", "mode").choices(["a", "b"]).default("a"));
}

Deno.test("options anywhere, grouped and attached short flags, --x=y, defaults", () => {
  const c = sample();
  assertEquals(c.parse(["udp", "-vUc5", "port", "--time-stamp-precision=micro", "53"]), {
    kind: "ok",
  });
  assertEquals(c.args, ["udp", "port", "53"]);
  assertEquals(c.opts(), {
    r: "-",
    eof: true,
    mode: "a",
    verbose: true,
    U: true,
    count: 5,
    timeStampPrecision: "micro",
  });
});

Deno.test("--no- negates, -- ends options, negative numbers and '-' are words", () => {
  const c = sample();
  assertEquals(c.parse(["--no-eof", "-r", "-", "ip[2:2]", "-1", "--", "-v"]), { kind: "ok" });
  assertEquals(c.args, ["ip[2:2]", "-1", "-v"]);
  assertEquals(c.opts<{ eof: boolean; r: string }>().eof, false);
});

Deno.test("usage errors are one line each", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /^unknown option '--bogus'$/],
    [["-x"], /^unknown option '-x'$/],
    [["-c"], /^option '-c, --count <n>' argument missing$/],
    [["-c", "many"], /^option '-c, --count <n>' argument 'many' is invalid: expected a number$/],
    [["--mode", "z"], /^option '--mode <m>' argument 'z' is invalid \(choices: a, b\)$/],
    [["--verbose=yes"], /^option '-v, --verbose' takes no value$/],
  ];
  for (const [args, expected] of cases) {
    const outcome = sample().parse(args);
    assertEquals(outcome.kind, "error", args.join(" "));
    if (outcome.kind === "error") match(outcome.message, expected);
  }
  const noArgs = new Command("fmagent y").option("-v", "v");
  assertEquals(noArgs.parse(["extra"]), { kind: "error", message: "unexpected argument 'extra'" });
});

Deno.test("help lists usage, arguments, options with defaults and choices, and the text after", () => {
  const c = sample().addHelpText("after", "\nExamples:\n  fmagent x udp\n");
  const outcome = c.parse(["-v", "--help"]);
  assertEquals(outcome.kind, "help");
  if (outcome.kind !== "help") return;
  match(outcome.text, /^Usage: fmagent x \[options\] \[words\.\.\.\]\n\na sample\n/);
  match(outcome.text, /\n {2}words +the words\n/);
  match(outcome.text, /\n {2}-r <file> +read FILE \(default: "-"\)\n/);
  match(outcome.text, /\n {2}--mode <m> +mode \(choices: "a", "b", default: "a"\)\n/);
  match(outcome.text, /\n {2}-h, --help +show this help\n\nExamples:\n {2}fmagent x udp\n$/);
});

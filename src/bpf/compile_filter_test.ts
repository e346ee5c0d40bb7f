import { compileFilter, compileProgram } from "./compile_filter.ts";
import { FilterRejectsAllError, FilterSemanticError } from "./errors.ts";

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** An Ethernet/IPv4/UDP frame from port 1000 to `dport`. */
function udpFrame(dport: number): Uint8Array {
  const f = new Uint8Array(60);
  const v = new DataView(f.buffer);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  f[23] = 17;
  v.setUint16(34, 1000);
  v.setUint16(36, dport);
  return f;
}

Deno.test("compileFilter returns the program and a matcher returning snaplen or 0", () => {
  const { program, match } = compileFilter("udp and port 53");
  assert(program.length > 0, "program");
  assert(match(udpFrame(53), 0, 60, 60) === 262144, "accepts port 53");
  assert(match(udpFrame(80), 0, 60, 60) === 0, "rejects port 80");
  const short = compileFilter("udp", { snaplen: 96 });
  assert(short.match(udpFrame(53), 0, 60, 60) === 96, "returns the snaplen given");
  const all = compileFilter("");
  assert(
    all.program.length === 1 && all.match(udpFrame(1), 0, 60, 60) === 262144,
    "empty matches all",
  );
});

Deno.test("compileFilter refuses other link types and ip broadcast without a netmask", () => {
  for (const [expression, options] of [["ip", { linkType: 101 }], ["ip broadcast", {}]] as const) {
    try {
      compileProgram(expression, options);
      throw new Error(`accepted ${expression}`);
    } catch (error) {
      assert(error instanceof FilterSemanticError && error.exitCode === 2, String(error));
    }
  }
});

Deno.test("compileProgram refuses what libpcap's optimiser reduces to ret #0, only when optimising", () => {
  for (const expression of ["ip and ip6", "tcp and udp", "port 80 and not port 80", "1 = 2"]) {
    try {
      compileProgram(expression);
      throw new Error(`accepted ${expression}`);
    } catch (error) {
      assert(error instanceof FilterRejectsAllError, String(error));
      const refusal = error as FilterRejectsAllError;
      assert(refusal instanceof FilterSemanticError && refusal.exitCode === 2, String(error));
      assert(refusal.message.endsWith("expression rejects all packets"), refusal.message);
    }
    // As `tcpdump -O`: without the optimiser the program is printed.
    assert(compileProgram(expression, { optimize: false }).length > 1, expression);
    assert(
      compileProgram(expression, { optimize: false, exactGencode: true }).length > 1,
      expression,
    );
  }
  // Never refused by libpcap: its optimiser does not prove these empty, or is off
  // (protochain, geneve).
  for (
    const expression of [
      "mpls and llc",
      "ip and 1+1 = 3",
      "geneve and ip and ip6",
      "ip protochain 6 and tcp and udp",
    ]
  ) {
    compileProgram(expression);
    compileProgram(expression, { exactGencode: true });
  }
});

Deno.test("compiling a filter takes under 5 ms", () => {
  const expressions = [
    "udp",
    "udp and port 53",
    "tcp[tcpflags] & tcp-syn != 0",
    "net 10.0.0.0/16 and not port 80",
    "vlan and ip[2:2] > 600",
  ];
  for (const e of expressions) {
    // The fastest of several runs: the cost of compiling, not of a GC pause or a busy CI core.
    let best = Infinity;
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      compileFilter(e);
      best = Math.min(best, performance.now() - start);
    }
    assert(best < 5, `${e}: ${best.toFixed(2)} ms to compile`);
  }
});

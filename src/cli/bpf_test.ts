import { run } from "./bpf.ts";
import { memoryIo } from "../../tests/support/memory_io.ts";

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

Deno.test("bpf prints -d by default and accepts -dd and -ddd literally", async () => {
  const d = memoryIo();
  assert(await run(["ip"], d) === 0, "exit status");
  assert(d.stdout.text().startsWith("(000) ldh      [12]\n"), d.stdout.text());
  const dd = memoryIo();
  assert(await run(["-dd", "ip"], dd) === 0, "exit status -dd");
  assert(dd.stdout.text().startsWith("{ 0x28, 0, 0, 0x0000000c },\n"), dd.stdout.text());
  const ddd = memoryIo();
  assert(await run(["-ddd", "ip"], ddd) === 0, "exit status -ddd");
  assert(ddd.stdout.text().startsWith("4\n40 0 0 12\n"), ddd.stdout.text());
});

Deno.test("bpf joins expression words and reads -F and --program files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const words = memoryIo();
    await run(["-ddd", "udp", "and", "port", "53"], words);
    const file = `${dir}/filter.txt`;
    await Deno.writeTextFile(file, "udp and # a comment\nport 53\n");
    const fromFile = memoryIo();
    assert(await run(["-ddd", "-F", file], fromFile) === 0, fromFile.stderr.text());
    assert(fromFile.stdout.text() === words.stdout.text(), "-F gives the same program as words");
    const program = `${dir}/prog.bpf`;
    await Deno.writeTextFile(program, words.stdout.text());
    const loaded = memoryIo();
    assert(await run(["-ddd", "--program", program], loaded) === 0, loaded.stderr.text());
    assert(loaded.stdout.text() === words.stdout.text(), "--program round trip");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bpf reports bad filters on stderr with exit status 2", async () => {
  const syntax = memoryIo();
  assert(await run(["tcp", "port"], syntax) === 2, "syntax error exit");
  const text = syntax.stderr.text();
  assert(text.startsWith("fmagent: Cannot compile filter: syntax error"), text);
  assert(text.includes("\n  tcp port\n          ^\n"), text);
  const range = memoryIo();
  assert(await run(["port 65536"], range) === 2, "range error exit");
  assert(
    range.stderr.text() === "fmagent: Cannot compile filter: illegal port number 65536 > 65535\n",
    range.stderr.text(),
  );
  const both = memoryIo();
  assert(await run(["-d", "-ddd", "ip"], both) === 2, "two formats");
  const missing = memoryIo();
  assert(await run(["--program", "/nonexistent/prog.bpf"], missing) === 2, "missing program file");
});

Deno.test("bpf -O prints the program before optimisation", async () => {
  const optimized = memoryIo();
  const raw = memoryIo();
  await run(["-ddd", "host 1.2.3.4"], optimized);
  await run(["-O", "-ddd", "host 1.2.3.4"], raw);
  const count = (io: { stdout: { text(): string } }) => Number(io.stdout.text().split("\n")[0]);
  assert(count(raw) >= count(optimized), "optimised program is not longer");
});

/**
 * `deno task bench`: runs every bench/*_bench.ts in its own process, one
 * after another (so they never compete for the 2 cores), and prints their
 * Markdown tables. Name suites to run a subset: `deno task bench ring filter`.
 */
const dir = new URL("./", import.meta.url);
const wanted = Deno.args;
const suites: string[] = [];
for await (const entry of Deno.readDir(dir)) {
  const match = entry.name.match(/^(.+)_bench\.ts$/);
  if (match && (wanted.length === 0 || wanted.includes(match[1]!))) suites.push(entry.name);
}
suites.sort();
let failed = 0;
for (const suite of suites) {
  console.log(`\n<!-- ${suite} -->`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(suite, dir).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`bench: ${suite} exited with status ${code}`);
    failed++;
  }
}
Deno.exit(failed ? 1 : 0);

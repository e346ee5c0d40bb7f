/**
 * Every capture of the shared corpus, copied by `fmagent filter -r X -w OUT`
 * (pcap and pcapng in, nanosecond pcap out), reads back in tcpdump exactly
 * as the original does.
 */
import { deepStrictEqual as assertEquals, equal } from "node:assert/strict";
import { run } from "../../src/cli/filter.ts";
import { memoryIo } from "../support/memory_io.ts";
import { corpusFiles } from "../support/corpus.ts";
import { inPool, tcpdumpRead } from "../support/tcpdump.ts";
import { withTempDir } from "../support/temp_dir.ts";

Deno.test("corpus: tcpdump lists identical packets after fmagent filter -r X -w OUT", async () => {
  const files = corpusFiles();
  equal(files.length > 100, true, "the shared corpus is missing");
  const failures: string[] = [];
  await withTempDir(async (dir) => {
    await inPool(files, 4, async (file) => {
      const name = file.split("/").pop()!;
      const out = `${dir}/${name}.pcap`;
      const io = memoryIo();
      const code = await run(["-r", file, "-w", out], io);
      const [expected, actual] = await Promise.all([tcpdumpRead(file), tcpdumpRead(out)]);
      const truncated = /truncated/i.test(expected.stderr);
      if (code !== 0 && !(code === 2 && truncated)) {
        failures.push(`${name}: exit ${code}: ${io.stderr.text().trim()}`);
        return;
      }
      try {
        assertEquals(actual.lines, expected.lines);
      } catch {
        const i = actual.lines.findIndex((l, k) => l !== expected.lines[k]);
        failures.push(
          `${name}: line ${i}: ours ${actual.lines[i]} | original ${expected.lines[i]}`,
        );
      }
      await Deno.remove(out);
    });
  });
  assertEquals(failures, []);
});

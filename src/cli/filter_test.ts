/**
 * `fmagent filter EXPR -w FILE` on microsecond pcap, where kept records are
 * packed in the reader's buffer and written per batch: tcpdump must list the
 * output exactly as it lists the input under the same filter, for filters
 * that keep scattered packets, runs of them, all or none, and with `-c`.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { run } from "./filter.ts";
import { memoryIo } from "../../tests/support/memory_io.ts";
import { tcpdumpRead } from "../../tests/support/tcpdump.ts";
import { buildTestCapture } from "../../tests/bpf/support/corpus.ts";
import { buildPcap } from "../../tests/support/packet_builder.ts";

/** Little-endian microsecond pcap; packet i at second i + i*7919 % 1e6 µs, so fractions vary. */
function microPcap(packets: readonly { data: Uint8Array; wirelen: number }[]): Uint8Array {
  return buildPcap(packets.map((p, i) => ({
    data: p.data,
    wirelen: p.wirelen,
    sec: 1_700_000_000 + i,
    nsec: ((i * 7919) % 1_000_000) * 1000,
  })));
}

Deno.test("filter EXPR -w FILE writes what tcpdump selects, timestamps to the nanosecond", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmagent-filter-" });
  try {
    const { packets } = await buildTestCapture(dir, 3000, 99);
    // Several copies so the capture spans several reader batches and buffer refills.
    const input = `${dir}/in.pcap`;
    await Deno.writeFile(input, microPcap([...packets, ...packets, ...packets, ...packets]));
    const cases: [string[], string[]][] = [
      [["udp"], ["udp"]],
      [["tcp", "or", "arp"], ["tcp", "or", "arp"]],
      [["not", "udp"], ["not", "udp"]],
      [["-c", "77", "udp"], ["-c", "77", "udp"]],
      // Matches nothing; `ip and not ip` is refused now, as tcpdump refuses it.
      [["mpls", "and", "llc"], ["mpls", "and", "llc"]],
      [["ether[0]", "&", "1", "=", "0"], ["ether[0]", "&", "1", "=", "0"]],
    ];
    for (const [ours, theirs] of cases) {
      const output = `${dir}/out.pcap`;
      const io = memoryIo();
      assertEquals(await run(["-r", input, "-w", output, ...ours], io), 0, io.stderr.text());
      const expected = await tcpdumpRead(input, theirs);
      const got = await tcpdumpRead(output);
      assertEquals(got.lines.length, expected.lines.length, ours.join(" "));
      assertEquals(got.lines, expected.lines, ours.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

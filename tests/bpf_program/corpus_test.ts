/**
 * libpcap's own programs on real Ethernet packets from the shared tcpdump
 * corpus: interpreter == JIT == JIT of the optimised program == libpcap's
 * pcap_offline_filter, packet by packet. The corpus lives beside the repository (../shared/corpus).
 */
import { assertEquals } from "../support/assert.ts";
import { CaptureReader } from "../../src/pcap/capture_reader.ts";
import { parseProgramText } from "../../src/bpf/program/parse_program.ts";
import { interpret } from "../../src/bpf/program/interpret.ts";
import { jitCompile } from "../../src/bpf/program/jit.ts";
import { optimizeProgram } from "../../src/bpf/program/optimize.ts";
import type { GoldenDump } from "./make_golden.ts";
import { libpcapVerdicts, type OraclePacket, oracleUnavailable } from "./libpcap_oracle.ts";

import { CORPUS_URL as CORPUS } from "../support/corpus.ts";
const LINKTYPE_ETHERNET = 1;

/** Every Ethernet packet of the corpus, copied out of the reader's batches. */
async function corpusPackets(): Promise<OraclePacket[]> {
  const packets: OraclePacket[] = [];
  const names = [...Deno.readDirSync(CORPUS)].map((e) => e.name).filter((n) =>
    /\.pcap(ng)?$/.test(n)
  )
    .sort();
  for (const name of names) {
    const file = await Deno.open(new URL(name, CORPUS));
    try {
      const reader = await CaptureReader.open(file, name);
      for (let batch = await reader.next(); batch !== null; batch = await reader.next()) {
        for (let i = 0; i < batch.count; i++) {
          if (batch.linkType[i] !== LINKTYPE_ETHERNET) continue;
          const start = batch.offset[i]!;
          packets.push({
            data: batch.bytes.slice(start, start + batch.caplen[i]!),
            wirelen: batch.wirelen[i]!,
          });
        }
      }
    } catch {
      // Corrupt corpus files are the capture reader's tests' business; keep what was read.
    } finally {
      file.close();
    }
  }
  return packets;
}

const unavailable = oracleUnavailable();

Deno.test({
  name: "bpf runners: libpcap programs on the tcpdump corpus agree with pcap_offline_filter",
  ignore: unavailable !== undefined,
  async fn() {
    const golden: GoldenDump[] = JSON.parse(
      await Deno.readTextFile(new URL("./fixtures/golden_dumps.json", import.meta.url)),
    );
    const packets = await corpusPackets();
    assertEquals(packets.length > 2000, true, `corpus has Ethernet packets (${packets.length})`);
    const programs = golden.map((g) => parseProgramText(g.ddd, g.expression));
    const results = await libpcapVerdicts(programs, packets);
    let matched = 0;
    programs.forEach((program, n) => {
      const matcher = jitCompile(program);
      const optimized = jitCompile(optimizeProgram(program, { strict: true }));
      const expected = results[n]!.verdicts;
      for (let p = 0; p < packets.length; p++) {
        const { data, wirelen } = packets[p]!;
        const interpreted = interpret(program, data, 0, data.length, wirelen);
        const compiled = matcher(data, 0, data.length, wirelen);
        const better = optimized(data, 0, data.length, wirelen);
        if (interpreted !== expected[p] || compiled !== expected[p] || better !== expected[p]) {
          assertEquals(
            [interpreted, compiled, better],
            [expected[p], expected[p], expected[p]],
            `${golden[n]!.expression}, packet ${p}`,
          );
        }
        if (expected[p] !== 0) matched++;
      }
    });
    assertEquals(matched > 1000, true, `some packets match (${matched})`);
  },
});

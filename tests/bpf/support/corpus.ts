/**
 * One test capture holding every Ethernet packet of the shared tcpdump corpus
 * plus generated packets, each stamped with its index as the timestamp second.
 */
import { generatePackets } from "./packet_generator.ts";
import { pcapBytes, readPcap, type TestPacket } from "./pcap_file.ts";
import { pool } from "./tcpdump_oracle.ts";

import { CORPUS_URL } from "../../support/corpus.ts";

/** Ethernet packets of every corpus file (pcapng converted to pcap by tcpdump). */
export async function corpusPackets(dir: string): Promise<TestPacket[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(CORPUS_URL)) {
    if (entry.isFile && /\.pcap(ng)?$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  const files = await pool(
    names.map((name, i) => async () => {
      const out = `${dir}/corpus-${i}.pcap`;
      const run = await new Deno.Command("tcpdump", {
        args: ["-r", new URL(name, CORPUS_URL).pathname, "-w", out],
        stdout: "null",
        stderr: "null",
      }).output();
      if (!run.success) return [];
      try {
        const parsed = readPcap(await Deno.readFile(out));
        return parsed.linkType === 1 ? parsed.packets : [];
      } catch {
        return [];
      } finally {
        await Deno.remove(out).catch(() => {});
      }
    }),
    4,
  );
  return files.flat();
}

/** Writes the combined capture and returns its path and packets. */
export async function buildTestCapture(dir: string, generated: number, seed: number) {
  const packets = [...(await corpusPackets(dir)), ...generatePackets(generated, seed)];
  const path = `${dir}/combined.pcap`;
  await Deno.writeFile(path, pcapBytes(packets));
  return { path, packets };
}

/** Lines of a fixture file, without comments; `## name` lines start a family. */
export async function readFixture(
  name: string,
): Promise<Array<{ family: string; expression: string }>> {
  const text = await Deno.readTextFile(new URL(`../fixtures/${name}`, import.meta.url));
  const out: Array<{ family: string; expression: string }> = [];
  let family = "all";
  for (const line of text.split("\n")) {
    if (line.startsWith("## ")) family = line.slice(3).trim();
    else if (line.trim() !== "" && !line.startsWith("#")) {
      out.push({ family, expression: line.trim() });
    }
  }
  return out;
}

/** Expressions listed in known_divergences.md (lines "- `EXPR`: reason"). */
export async function knownDivergences(): Promise<Set<string>> {
  const text = await Deno.readTextFile(
    new URL("../fixtures/known_divergences.md", import.meta.url),
  );
  return new Set([...text.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]!));
}

/**
 * The shared corpus of real captures (tcpdump's test suite), which sits
 * beside the repository: ../shared/corpus/tcpdump-tests. Every test that
 * reads it finds it here.
 */
export const CORPUS_URL = new URL("../../../shared/corpus/tcpdump-tests/", import.meta.url);
export const CORPUS_DIR = decodeURIComponent(CORPUS_URL.pathname);

/** Paths of every .pcap and .pcapng file in the corpus, sorted. */
export function corpusFiles(): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(CORPUS_URL)) {
    if (entry.isFile && /\.(pcap|pcapng)$/.test(entry.name)) names.push(entry.name);
  }
  return names.sort().map((n) => CORPUS_DIR + n);
}

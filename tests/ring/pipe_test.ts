/** `fmagent consume | tcpdump -r - -nn`: the live-use pipe, with tcpdump reading our stdout. */
import { assert, assertEquals } from "../support/assert.ts";
import {
  MAIN,
  runFmagent,
  samplePackets,
  samplePcap,
  tcpdumpLines,
  withTempDir,
} from "./support.ts";

Deno.test("pipe: consume | tcpdump -r - prints the packets tcpdump prints for the input", async () => {
  await withTempDir(async (dir) => {
    const ring = `${dir}/ring`;
    const input = `${dir}/in.pcap`;
    await Deno.writeFile(input, samplePcap(samplePackets(50)));
    assertEquals((await runFmagent(["produce", "-i", ring, input])).code, 0);
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        '"$0" run --allow-all "$1" consume -i "$2" | tcpdump -r - -nn -tt --nano -S',
        Deno.execPath(),
        MAIN,
        ring,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
    const expected = await tcpdumpLines(input);
    assert(expected.length === 50, `${expected.length}`);
    assertEquals(lines, expected);
  });
});

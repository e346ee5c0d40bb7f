import { assertEquals } from "../../tests/support/assert.ts";
import { copyBytes, viewOf } from "./copy_bytes.ts";

Deno.test("copyBytes copies every length at any alignment, and nothing else", () => {
  const src = Uint8Array.from({ length: 400 }, (_, i) => (i * 31 + 7) & 0xff);
  for (const length of [0, 1, 7, 8, 9, 63, 64, 100, 128, 129, 300]) {
    for (const [from, to] of [[0, 0], [3, 24], [5, 1], [17, 9]] as const) {
      const dst = new Uint8Array(512).fill(0xaa);
      copyBytes(src, viewOf(src), from, dst, viewOf(dst), to, length);
      assertEquals(
        dst.subarray(to, to + length),
        src.subarray(from, from + length),
        `${length} ${from}→${to}`,
      );
      assertEquals(dst.subarray(0, to).every((b) => b === 0xaa), true);
      assertEquals(dst.subarray(to + length).every((b) => b === 0xaa), true);
    }
  }
});

Deno.test("viewOf indexes like the array it views", () => {
  const whole = Uint8Array.from({ length: 16 }, (_, i) => i);
  const part = whole.subarray(4, 12);
  assertEquals(viewOf(part).getUint8(0), 4);
  assertEquals(viewOf(part).byteLength, 8);
});

import { assertEquals } from "../../../tests/support/assert.ts";
import { dumpProgram } from "./dump.ts";
import { instructionImage } from "./image.ts";

// tcpdump -d/-dd/-ddd 'ip' on this machine (more in tests/bpf_program/golden_dump_test.ts).
const IP = [
  { code: 0x28, jt: 0, jf: 0, k: 12 },
  { code: 0x15, jt: 0, jf: 1, k: 0x800 },
  { code: 0x06, jt: 0, jf: 0, k: 262144 },
  { code: 0x06, jt: 0, jf: 0, k: 0 },
];

Deno.test("dump: the three tcpdump formats", () => {
  assertEquals(
    dumpProgram(IP, 1),
    "(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n" +
      "(002) ret      #262144\n(003) ret      #0\n",
  );
  assertEquals(
    dumpProgram(IP, 2),
    "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n" +
      "{ 0x6, 0, 0, 0x00040000 },\n{ 0x6, 0, 0, 0x00000000 },\n",
  );
  assertEquals(dumpProgram(IP, 3), "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n");
});

Deno.test("image: operand-less lines keep C's padding, k prints signed where C uses %d", () => {
  assertEquals(instructionImage({ code: 0x07, jt: 0, jf: 0, k: 0 }, 16), "(016) tax      ");
  assertEquals(instructionImage({ code: 0x16, jt: 0, jf: 0, k: 0 }, 3), "(003) ret      ");
  assertEquals(
    instructionImage({ code: 0x06, jt: 0, jf: 0, k: 0xffffffff }, 0),
    "(000) ret      #-1",
  );
  assertEquals(
    instructionImage({ code: 0x05, jt: 0, jf: 0, k: 0xfffffff1 }, 18),
    "(018) ja       4",
  );
  assertEquals(
    instructionImage({ code: 0x20, jt: 0, jf: 0, k: 0xfffff004 }, 0),
    "(000) ld       [type]",
  );
  assertEquals(instructionImage({ code: 0x81, jt: 0, jf: 0, k: 0 }, 1000), "(1000) unimp    0x81");
});

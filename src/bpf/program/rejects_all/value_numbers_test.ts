import { assertEquals } from "../../../../tests/support/assert.ts";
import { newValueTable, VAL_UNKNOWN } from "./value_numbers.ts";

Deno.test("value numbers: the same operation on the same operands is the same value", () => {
  const values = newValueTable();
  const ldh12 = values.value(0x28, 12, 0);
  assertEquals(values.value(0x28, 12, 0), ldh12);
  assertEquals(values.value(0x28, 14, 0) === ldh12, false);
  // An indirect load depends on the value in X.
  const x = values.value(0xb1, 14, 0);
  assertEquals(values.value(0x48, 2, x), values.value(0x48, 2, x));
  assertEquals(values.value(0x48, 2, x) === values.value(0x48, 2, ldh12), false);
  assertEquals(ldh12 === VAL_UNKNOWN, false);
});

Deno.test("value numbers: immediates are constants, other values are not", () => {
  const values = newValueTable();
  assertEquals(values.constantOf(values.constant(0xffffffff)), 0xffffffff);
  assertEquals(values.constantOf(values.value(0x01, 7, 0)), 7); // ldx #7
  assertEquals(values.constantOf(values.value(0x28, 12, 0)), undefined);
  assertEquals(
    values.constantOf(values.value(0x04, values.constant(1), values.constant(1))),
    undefined,
  );
  assertEquals(values.constantOf(VAL_UNKNOWN), undefined);
});

import { strict as assert } from "node:assert";
import { crc32 } from "../../src/bytecode/crc32.ts";

Deno.test("crc32 matches the standard IEEE check value for '123456789'", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("crc32 of no bytes is 0 and of one zero byte is 0xD202EF8D", () => {
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(new Uint8Array(1)), 0xd202ef8d);
});

Deno.test("crc32 over a sub-range equals crc32 of that slice", () => {
  const bytes = new TextEncoder().encode("xx123456789yy");
  assert.equal(crc32(bytes, 2, 11), 0xcbf43926);
});

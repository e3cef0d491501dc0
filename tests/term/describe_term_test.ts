/**
 * A Term prints in Erlang's notation (src/term/describe_term.ts): values Erlang itself writes
 * with `#` as they are, anything else inside `#Term<…>`, and bytes that are no valid term as
 * their size.
 */
import assert from "node:assert/strict";
import { atom, encodeTerm, list, map, ref } from "../../src/dist/mod.ts";
import { describeTerm } from "../../src/term/describe_term.ts";

Deno.test("Terms print as Erlang prints them", () => {
  assert.equal(describeTerm(encodeTerm(ref("a@h", 1, [3, 2, 1]))), "#Ref<a@h.1.2.3>");
  assert.equal(describeTerm(encodeTerm(map([[1n, atom("one")]]))), "#{1 => one}");
  assert.equal(describeTerm(encodeTerm(list([1n], atom("t")))), "#Term<[1|t]>");
  assert.equal(describeTerm(encodeTerm(2n ** 80n)), `#Term<${2n ** 80n}>`);
  assert.equal(describeTerm(new Uint8Array([131, 255])), "#Term<2 bytes>");
  assert.equal(describeTerm(new Uint8Array(0)), "#Term<0 bytes>");
});

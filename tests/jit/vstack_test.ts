/**
 * The virtual stack's writers keep an Int's aux word right: PID_MARK travels with an Int made
 * as a PID (distribution sends it as a pid) and never stays behind in a cell an Int or another
 * value is written over (found by the 5000-message order test: compiled `PUSH_INT 1; STORE i`
 * over a cell that had held a PID made Erlang receive `{n, <pid>}`).
 */
import assert from "node:assert/strict";
import { spill, writeCode } from "../../src/jit/vstack.ts";
import { isPidCell, PID_MARK, setPid, T_FLOAT, T_INT } from "../../src/term/tags.ts";

function cells(n: number) {
  const buf = new ArrayBuffer(n * 16);
  return { w: new Int32Array(buf), f: new Float64Array(buf) };
}

function runWrite(code: string, w: Int32Array, f: Float64Array, locals: Record<string, number>) {
  const names = Object.keys(locals);
  new Function("w", "f", ...names, code)(w, f, ...names.map((k) => locals[k]));
}

Deno.test("a compiled Int written over a PID cell is a plain Int", () => {
  const { w, f } = cells(4);
  setPid(w, f, 1, 42);
  runWrite(writeCode({ k: "val", t: T_INT, v: 7 }, "1"), w, f, {});
  assert.equal(w[4], T_INT);
  assert.equal(f[3], 7);
  assert.equal(isPidCell(w, 1), false);
  setPid(w, f, 2, 42);
  runWrite(writeCode({ k: "val", t: T_FLOAT, v: 2.5 }, "2"), w, f, {});
  assert.equal(w[9], 0, "no mark left under a Float");
});

Deno.test("a compiled copy of a PID keeps its mark; of a plain Int drops the old one", () => {
  const { w, f } = cells(4);
  setPid(w, f, 1, 42);
  setPid(w, f, 2, 99); // the destination held another PID
  const code = writeCode({ k: "cell", c: "src", atom: 5, view: { t: "tt", v: "vv" } }, "dst");
  runWrite(code, w, f, { src: 1, dst: 2, tt: T_INT, vv: 42 });
  assert.ok(isPidCell(w, 2));
  assert.equal(f[5], 42);
  w[5] = 0; // cell 1 becomes a plain Int
  setPid(w, f, 3, 1);
  runWrite(code, w, f, { src: 1, dst: 3, tt: T_INT, vv: 42 });
  assert.equal(isPidCell(w, 3), false);
});

Deno.test("a bail's spilled Int clears the aux word of the slot it lands in", () => {
  const { w, f } = cells(4);
  setPid(w, f, 2, 5);
  const qs = new Float64Array(1);
  const sp = spill(
    w,
    f,
    qs,
    2,
    0,
    {
      base: 0,
      entries: [{ k: "val", t: { c: T_INT }, v: { c: 3 } }],
    } as unknown as Parameters<typeof spill>[5],
  );
  assert.equal(sp, 1);
  assert.equal(w[8], T_INT);
  assert.equal(w[9], 0);
  assert.notEqual(w[9], PID_MARK);
  assert.equal(f[5], 3);
});

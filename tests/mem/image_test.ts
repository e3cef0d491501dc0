/**
 * The program image (src/mem/image.ts) under hot code loading: publishing a new descriptor
 * bumps H_CODE_GEN; a thread's view stays as it was until `refresh()`, which is a no-op while
 * nothing was published and rebuilds every table in place when something was; views taken
 * before a publish keep reading the old, unchanged blocks.
 */
import assert from "node:assert/strict";
import { assembleSource } from "../../src/asm/mod.ts";
import { AtomTable } from "../../src/mem/atoms.ts";
import { ProgramImage, publishImage, writeImage } from "../../src/mem/image.ts";
import { H_CODE_GEN } from "../../src/mem/layout.ts";
import { Memory } from "../../src/mem/memory.ts";

const SOURCE = `PUSH_INT 12345678901234
PUSH_FLOAT 1.5
MAKE_FUNCTION f x
HALT
LABEL f
RET
`;

function setUp() {
  const mem = Memory.create(1024 * 1024);
  const atoms = new AtomTable(mem);
  writeImage(mem, atoms, assembleSource(SOURCE, "main.ttvm"));
  return { mem, atoms, image: new ProgramImage(mem, atoms) };
}

Deno.test("image: the start-up image is version 1 of each module, with no old version", () => {
  const { mem, image } = setUp();
  assert.equal(Atomics.load(mem.i32, H_CODE_GEN), 1);
  assert.equal(image.generation, 1);
  assert.deepEqual(image.modules, [
    { path: "main.ttvm", startPc: 0, endPc: 5, version: 1, oldStartPc: -1, oldEndPc: -1 },
  ]);
  assert.equal(image.refresh(), false, "nothing published: refresh is a no-op");
});

Deno.test("image: a published image is seen after refresh; old views keep the old blocks", () => {
  const { mem, atoms, image } = setUp();
  const other = new ProgramImage(mem, atoms); // another thread's view
  const oldCode = image.code;
  const oldSnapshot = Array.from(oldCode);
  const t = image.tables();
  const n = image.nInstr;
  const code = new Int32Array((n + 2) * 4);
  code.set(t.code);
  code.set([0x05, 0, 0, 0, 0xfe, 0, 0, 0], n * 4); // NULL, END
  const lines = new Int32Array(n + 2);
  lines.set(t.lines);
  lines.set([1, 0], n);
  const files = new Int32Array(n + 2);
  files.set(t.files);
  publishImage(mem, atoms, {
    ...t,
    code,
    lines,
    files,
    floats: [...image.floats, 2.5],
    ints: [...image.ints, 7n],
    paramLists: [...image.paramLists, [atoms.intern("y")]],
    modules: [{ ...t.modules[0], version: 2, oldStartPc: 0, oldEndPc: n - 1 }],
  });
  assert.equal(Atomics.load(mem.i32, H_CODE_GEN), 2);
  // Not yet refreshed: the view is the old one.
  assert.equal(other.nInstr, n);
  assert.equal(other.refresh(), true);
  assert.equal(other.refresh(), false);
  assert.equal(other.nInstr, n + 2);
  assert.deepEqual(Array.from(other.code.subarray(n * 4)), [0x05, 0, 0, 0, 0xfe, 0, 0, 0]);
  assert.deepEqual(Array.from(other.floats), [1.5, 2.5]);
  assert.deepEqual(Array.from(other.ints), [12345678901234n, 7n]);
  assert.deepEqual(other.paramLists.map((l) => Array.from(l, (a) => atoms.name(a))), [
    ["x"],
    ["y"],
  ]);
  assert.equal(other.modules[0].version, 2);
  assert.equal(other.localPc(1), 1, "a pc of the old version is local to the old range");
  // The first view still reads the old blocks, unchanged.
  assert.deepEqual(Array.from(oldCode), oldSnapshot);
  assert.equal(image.location(n), "main.ttvm:1", "a pc beyond the view refreshes it first");
  assert.equal(image.nInstr, n + 2);
});

/** IMPORT: static linking, resolution order, display paths, deduplication, cycles, errors. */
import { strict as assert } from "node:assert";
import { assembleSource } from "../../src/asm/mod.ts";
import { diagnosticsOf, memFs, opcode, summaries, words } from "./helpers.ts";

const LIB = "MAKE_FUNCTION f\nSTORE f\nEXPORT f\nHALT\nLABEL f\nRET\n";

Deno.test("imports are numbered breadth-first and laid out in module order", () => {
  const fs = memFs({
    "/work/a.ttvm": 'IMPORT "c.ttvm"\nHALT',
    "/work/b.ttvm": "IMPORT c.ttvm\nIMPORT d.ttvm",
    "/work/c.ttvm": LIB,
    "/work/d.ttvm": "PRINT",
  });
  const p = assembleSource('IMPORT "a.ttvm"\nIMPORT "b.ttvm"\nHALT', "main.ttvm", fs);
  assert.deepEqual(p.modules, [
    { path: "main.ttvm", startPc: 0, endPc: 3 },
    { path: "a.ttvm", startPc: 4, endPc: 6 },
    { path: "b.ttvm", startPc: 7, endPc: 9 },
    { path: "c.ttvm", startPc: 10, endPc: 15 },
    { path: "d.ttvm", startPc: 16, endPc: 17 },
  ]);
  const importOperands = [0, 1, 4, 7, 8].map((pc) => words(p, pc));
  assert.deepEqual(importOperands.map((w) => w[0]), Array(5).fill(opcode("IMPORT")));
  assert.deepEqual(importOperands.map((w) => w[1]), [1, 2, 3, 3, 4]);
  // c's function target and label are relocated by c's startPc.
  assert.deepEqual(words(p, 10).slice(0, 2), [opcode("MAKE_FUNCTION"), 14]);
  assert.deepEqual(p.labels, [{ name: "f", pc: 14, module: 3 }]);
  assert.deepEqual(Array.from(p.files), [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4]);
  assert.deepEqual(Array.from(p.lines.subarray(10, 16)), [1, 2, 3, 4, 6, 0]);
  for (const m of p.modules) assert.equal(words(p, m.endPc)[0], opcode("END"));
});

Deno.test("a path resolves relative to the importing file first", () => {
  const fs = memFs({
    "/work/lib/a.ttvm": "IMPORT helper.ttvm",
    "/work/lib/helper.ttvm": "PRINT",
    "/work/helper.ttvm": "HALT",
  });
  const p = assembleSource("IMPORT lib/a.ttvm", "main.ttvm", fs);
  assert.deepEqual(p.modules.map((m) => m.path), ["main.ttvm", "lib/a.ttvm", "lib/helper.ttvm"]);
  assert.equal(words(p, p.modules[2].startPc)[0], opcode("PRINT"));
});

Deno.test("then relative to the working directory", () => {
  const fs = memFs({
    "/work/lib/a.ttvm": "IMPORT shared/x.ttvm",
    "/work/shared/x.ttvm": "PRINT",
  });
  const p = assembleSource("IMPORT lib/a.ttvm", "main.ttvm", fs);
  assert.deepEqual(p.modules.map((m) => m.path), ["main.ttvm", "lib/a.ttvm", "shared/x.ttvm"]);
});

Deno.test("then in the standard library directory, shown as std/<name>", () => {
  const fs = memFs({ "/std/math.ttvm": LIB, "/std/list.ttvm": "PRINT" });
  const p = assembleSource("IMPORT std/math.ttvm\nIMPORT list.ttvm", "main.ttvm", fs);
  assert.deepEqual(p.modules.map((m) => m.path), ["main.ttvm", "std/math.ttvm", "std/list.ttvm"]);
  assert.ok(fs.reads.includes("/std/math.ttvm"));
});

Deno.test("a module outside both cwd and std is shown by its absolute path", () => {
  const fs = memFs({ "/elsewhere/x.ttvm": "PRINT" });
  const p = assembleSource('IMPORT "/elsewhere/x.ttvm"', "main.ttvm", fs);
  assert.equal(p.modules[1].path, "/elsewhere/x.ttvm");
});

Deno.test("one file imported under different spellings is one module", () => {
  const fs = memFs({
    "/work/lib/a.ttvm": "IMPORT ../lib/./b.ttvm\nIMPORT b.ttvm",
    "/work/lib/b.ttvm": "PRINT",
  });
  const p = assembleSource("IMPORT lib/b.ttvm\nIMPORT ./lib/a.ttvm", "main.ttvm", fs);
  assert.deepEqual(p.modules.map((m) => m.path), ["main.ttvm", "lib/b.ttvm", "lib/a.ttvm"]);
  const a = p.modules[2].startPc;
  assert.deepEqual([words(p, 0)[1], words(p, a)[1], words(p, a + 1)[1]], [1, 1, 1]);
  assert.equal(fs.reads.filter((r) => r === "/work/lib/b.ttvm").length, 1);
});

Deno.test("a cycle through the main file is reported at the IMPORT that closes it", () => {
  const fs = memFs({ "/work/a.ttvm": "PRINT\nIMPORT main.ttvm" });
  assert.deepEqual(
    summaries(diagnosticsOf(() => assembleSource("IMPORT a.ttvm", "main.ttvm", fs))),
    [
      "a.ttvm:2:8: Circular dependency detected: main.ttvm",
    ],
  );
});

Deno.test("cycles between imported modules and self-imports are reported", () => {
  const fs = memFs({
    "/work/a.ttvm": "IMPORT b.ttvm",
    "/work/b.ttvm": 'IMPORT "a.ttvm"',
    "/work/s.ttvm": "IMPORT s.ttvm",
  });
  const run = () => assembleSource("IMPORT a.ttvm\nIMPORT s.ttvm", "main.ttvm", fs);
  // Diagnostics come in module order: main, a, s, b.
  assert.deepEqual(summaries(diagnosticsOf(run)), [
    "s.ttvm:1:8: Circular dependency detected: s.ttvm",
    "b.ttvm:1:8: Circular dependency detected: a.ttvm",
  ]);
});

Deno.test("a diamond (two paths to one module) is not a cycle", () => {
  const fs = memFs({
    "/work/a.ttvm": "IMPORT c.ttvm",
    "/work/b.ttvm": "IMPORT c.ttvm",
    "/work/c.ttvm": "PRINT",
  });
  const p = assembleSource("IMPORT a.ttvm\nIMPORT b.ttvm", "main.ttvm", fs);
  assert.equal(p.modules.length, 4);
});

Deno.test("a missing import is reported at its line, with errors of every file", () => {
  const fs = memFs({ "/work/a.ttvm": "PRINT\nBAD_OP\nIMPORT gone.ttvm" });
  const run = () => assembleSource('IMPORT a.ttvm\nIMPORT "missing.ttvm"\nOOPS', "main.ttvm", fs);
  assert.deepEqual(summaries(diagnosticsOf(run)), [
    "main.ttvm:2:8: File operation failed on missing.ttvm: No such file or directory (os error 2)",
    "main.ttvm:3:1: unknown instruction 'OOPS'",
    "a.ttvm:2:1: unknown instruction 'BAD_OP'",
    "a.ttvm:3:8: File operation failed on gone.ttvm: No such file or directory (os error 2)",
  ]);
});

Deno.test("an unreadable (not missing) import reports the OS error's own text", () => {
  const options = {
    cwd: "/work",
    stdDir: "/std",
    readTextFile: (path: string): string => {
      if (path === "/work/locked.ttvm") {
        throw new Deno.errors.PermissionDenied("Permission denied (os error 13)");
      }
      throw new Deno.errors.NotFound(path);
    },
  };
  assert.deepEqual(
    summaries(diagnosticsOf(() => assembleSource("IMPORT locked.ttvm", "main.ttvm", options))),
    ["main.ttvm:1:8: File operation failed on locked.ttvm: Permission denied (os error 13)"],
  );
});

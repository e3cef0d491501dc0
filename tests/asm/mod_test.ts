/** assembleFile / assembleSource against the real file system. */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AsmError, assembleFile, formatDiagnostic } from "../../src/asm/mod.ts";
import { diagnosticsOf, opcode, words } from "./helpers.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("assembleFile links a fixture's imports from disk with cwd-relative module paths", () => {
  const p = assembleFile("tests/asm/fixtures/imports/main.ttvm", { cwd: REPO });
  assert.deepEqual(p.modules.map((m) => m.path), [
    "tests/asm/fixtures/imports/main.ttvm",
    "tests/asm/fixtures/imports/lib/greet.ttvm",
    "tests/asm/fixtures/imports/lib/util.ttvm",
  ]);
  const greet = p.modules[1].startPc;
  assert.deepEqual(words(p, greet + 1).slice(0, 2), [opcode("JMP"), greet + 7]);
  assert.deepEqual(p.labels.map((l) => [l.name, l.pc - greet, l.module]), [
    ["greet", 2, 1],
    ["main", 7, 1],
  ]);
  assert.deepEqual(Array.from(p.lines.subarray(0, 5)), [2, 3, 4, 5, 6]);
});

Deno.test("assembleFile resolves relative, cwd and std imports on a real disk", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(join(dir, "src"));
    Deno.mkdirSync(join(dir, "mystd"));
    Deno.writeTextFileSync(
      join(dir, "src", "main.ttvm"),
      "IMPORT near.ttvm\nIMPORT std/far.ttvm\n",
    );
    Deno.writeTextFileSync(join(dir, "src", "near.ttvm"), "IMPORT top.ttvm\nPRINT\n");
    Deno.writeTextFileSync(join(dir, "top.ttvm"), "HALT\n");
    Deno.writeTextFileSync(join(dir, "mystd", "far.ttvm"), "PRINT\n");
    const p = assembleFile(join(dir, "src", "main.ttvm"), { cwd: dir, stdDir: join(dir, "mystd") });
    // The std module lies inside cwd, so its cwd-relative path wins over `std/far.ttvm`.
    assert.deepEqual(p.modules.map((m) => m.path), [
      join(dir, "src", "main.ttvm"),
      "src/near.ttvm",
      "mystd/far.ttvm",
      "top.ttvm",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an import naming a directory reports the OS error text without Deno's context", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(join(dir, "sub"));
    Deno.writeTextFileSync(join(dir, "main.ttvm"), "IMPORT sub\n");
    const [d] = diagnosticsOf(() => assembleFile("main.ttvm", { cwd: dir }));
    assert.equal(d.message, "File operation failed on sub: Is a directory (os error 21)");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a missing main file is one diagnostic with line 0 and the OS error text", () => {
  const [d, ...rest] = diagnosticsOf(() => assembleFile("no/such/file.ttvm", { cwd: REPO }));
  assert.deepEqual(rest, []);
  assert.equal(d.line, 0);
  assert.equal(d.file, "no/such/file.ttvm");
  assert.equal(
    d.message,
    "File operation failed on no/such/file.ttvm: No such file or directory (os error 2)",
  );
  assert.equal(formatDiagnostic(d), d.message);
});

Deno.test("AsmError is an Error whose message lists every diagnostic", () => {
  try {
    assembleFile("missing.ttvm", { readTextFile: () => assert.fail("not used") });
  } catch (e) {
    assert.ok(e instanceof AsmError && e instanceof Error);
    assert.equal(e.message, "File operation failed on missing.ttvm: not used");
    return;
  }
  assert.fail("expected an AsmError");
});

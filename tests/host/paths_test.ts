/**
 * src/host/paths.ts gives node:path's (and node:url's) results without loading them: compared
 * here with the real ones over every combination of awkward path pieces (separators doubled
 * and trailing, `.` and `..` above the root, empty strings, relative and absolute).
 */
import assert from "node:assert/strict";
import * as node from "node:path";
import { fileURLToPath } from "node:url";
import * as paths from "../../src/host/paths.ts";

const PIECES = [
  "",
  "/",
  "//",
  "a",
  "b",
  ".",
  "..",
  "a/",
  "/a",
  "a//b",
  "/a/b/",
  "../x",
  "./y",
  "...",
  "a/../..",
  "/..",
  "//a",
  "///a//",
  "a/./b/../c",
  "/a/b/../../c",
];

Deno.test("dirname and isAbsolute agree with node:path on every piece", () => {
  for (const p of PIECES) {
    assert.equal(paths.dirname(p), node.dirname(p), `dirname(${JSON.stringify(p)})`);
    assert.equal(paths.isAbsolute(p), node.isAbsolute(p), `isAbsolute(${JSON.stringify(p)})`);
  }
});

Deno.test("resolve agrees with node:path on one, two and three pieces", () => {
  for (const a of PIECES) {
    assert.equal(paths.resolve(a), node.resolve(a), `resolve(${JSON.stringify(a)})`);
    for (const b of PIECES) {
      assert.equal(paths.resolve(a, b), node.resolve(a, b), `resolve(${a}, ${b})`);
      for (const c of PIECES) {
        assert.equal(paths.resolve(a, b, c), node.resolve(a, b, c), `resolve(${a}, ${b}, ${c})`);
      }
    }
  }
  assert.equal(paths.resolve(), node.resolve());
});

Deno.test("relative agrees with node:path on every pair", () => {
  for (const a of PIECES) {
    for (const b of PIECES) {
      assert.equal(paths.relative(a, b), node.relative(a, b), `relative(${a}, ${b})`);
    }
  }
  assert.equal(paths.sep, node.sep);
});

Deno.test("fileUrlToPath agrees with node:url, and refuses what it refuses", () => {
  for (
    const u of ["file:///a/b", "file:///a%20b/c%23d", "file:///", "file:///x/y/", "file:///%C3%A9"]
  ) {
    assert.equal(paths.fileUrlToPath(new URL(u)), fileURLToPath(new URL(u)), u);
  }
  for (const u of ["https://example.com/a", "file:///a%2Fb", "file://host/share/x"]) {
    assert.throws(() => fileURLToPath(new URL(u)), u);
    assert.throws(() => paths.fileUrlToPath(new URL(u)), TypeError, u);
  }
});

Deno.test("no module of the runtime imports a Node built-in at load time", async () => {
  // Each would bootstrap Deno's Node compatibility layer in every command's start-up (and in
  // every SMP worker): built-ins are fetched on first use (src/host/node_builtin.ts).
  const offenders: string[] = [];
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) await walk(url);
      else if (e.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(url);
        const imports = text.match(/^import (?!type )[^;]*?from "node:[^"]+";/gms) ?? [];
        const dynamic = text.match(/import\("node:[^"]+"\)/g) ?? [];
        for (const i of [...imports, ...dynamic]) offenders.push(`${url.pathname}: ${i}`);
      }
    }
  };
  await walk(new URL("../../src/", import.meta.url));
  assert.deepEqual(offenders, []);
});

/**
 * Every table in the project's Markdown renders as a table: GitHub's Markdown recognises a
 * table only when its delimiter row has as many cells as its header, and a row with more
 * cells than the header loses the extra ones — which is what an unescaped `|` inside a code
 * span does. (The benchmark report's main table once had one delimiter cell too many, and a
 * row of DISTRIBUTION.md lost its end to `[1|2]`.)
 */
import assert from "node:assert/strict";
import { generateOpcodesDoc } from "../../tools/gen_opcodes_doc.ts";
import { renderTimeTable } from "../../tools/bench_compare.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The repository's Markdown files (skipping hidden directories such as .git). */
function markdownFiles(dir = ROOT): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) found.push(...markdownFiles(`${path}/`));
    else if (entry.name.endsWith(".md")) found.push(path);
  }
  return found;
}

/** Cells of a table row: the pipes that are not escaped, less the outer two. */
function cellCount(row: string): number {
  return row.replace(/\\\|/g, "").split("|").length - 2;
}

const DELIMITER = /^\|\s*:?-{3,}/;

/** Problems of the tables in `text`: one line each, with the 1-based line number. */
function tableProblems(text: string): string[] {
  const lines = text.split("\n"), problems: string[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].startsWith("|") || !DELIMITER.test(lines[i + 1])) continue;
    const header = cellCount(lines[i]);
    const delimiter = cellCount(lines[i + 1]);
    if (delimiter !== header) {
      problems.push(`line ${i + 2}: delimiter row has ${delimiter} cells, header ${header}`);
    }
    for (let j = i + 2; j < lines.length && lines[j].startsWith("|"); j++) {
      const n = cellCount(lines[j]);
      if (n !== header) problems.push(`line ${j + 1}: ${n} cells, header ${header}`);
    }
  }
  return problems;
}

Deno.test("the check finds a short delimiter row and a row split by a bare pipe", () => {
  assert.deepEqual(tableProblems("| a | b |\n|---|---:|\n| 1 | 2 |\n"), []);
  assert.deepEqual(tableProblems("| a | b |\n|---|---:|---:|\n| 1 | 2 |\n"), [
    "line 2: delimiter row has 3 cells, header 2",
  ]);
  assert.deepEqual(tableProblems("| a | b |\n|---|---|\n| `x|y` | 2 |\n| `x\\|y` | 2 |\n"), [
    "line 3: 3 cells, header 2",
  ]);
});

Deno.test("every Markdown table of the repository is well formed", () => {
  const files = markdownFiles();
  assert.ok(files.some((f) => f.endsWith("/README.md")), "README.md not found");
  const problems = files.flatMap((f) =>
    tableProblems(Deno.readTextFileSync(f)).map((p) => `${f.slice(ROOT.length)} ${p}`)
  );
  assert.deepEqual(problems, []);
});

Deno.test("the generated tables are well formed: opcodes and the benchmark report's times", () => {
  assert.deepEqual(tableProblems(generateOpcodesDoc()), []);
  for (const beamPresent of [true, false]) {
    assert.deepEqual(tableProblems(renderTimeTable([], [], beamPresent)), []);
  }
});

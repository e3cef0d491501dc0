/**
 * CSV is real RFC 4180: quoted fields with separators, line breaks and doubled quotes, no
 * trimming, both line-break styles, errors with line numbers, quoting only where needed, and
 * round trips.
 */
import assert from "node:assert/strict";
import { CsvError, csvParse, csvWrite } from "../../src/io/csv.ts";
import { Rng } from "../term/random_host.ts";

Deno.test("plain fields split on commas and records on LF or CRLF, untrimmed", () => {
  assert.deepEqual(csvParse("a,b,c\n1, 2 ,3"), [["a", "b", "c"], ["1", " 2 ", "3"]]);
  assert.deepEqual(csvParse("a,b\r\nc,d\r\n"), [["a", "b"], ["c", "d"]]);
  assert.deepEqual(csvParse("a\rb"), [["a"], ["b"]]);
  assert.deepEqual(csvParse("x"), [["x"]]);
});

Deno.test("empty fields, empty lines and the final line break", () => {
  assert.deepEqual(csvParse(""), []);
  assert.deepEqual(csvParse("\n"), [[""]]);
  assert.deepEqual(csvParse(",\n"), [["", ""]]);
  assert.deepEqual(csvParse("a,,b,"), [["a", "", "b", ""]]);
  assert.deepEqual(csvParse("a\n\nb\n"), [["a"], [""], ["b"]]);
  assert.deepEqual(csvParse("a\n\n"), [["a"], [""]]);
});

Deno.test("quoted fields hold commas, line breaks and doubled quotes", () => {
  assert.deepEqual(csvParse('a,b\r\n"x, y","say ""hi"""\n"multi\nline",\n'), [
    ["a", "b"],
    ["x, y", 'say "hi"'],
    ["multi\nline", ""],
  ]);
  assert.deepEqual(csvParse('""'), [[""]]);
  assert.deepEqual(csvParse('"",""\n""""'), [["", ""], ['"']]);
  assert.deepEqual(csvParse('"a\r\nb"\r\n"c"'), [["a\r\nb"], ["c"]]);
  assert.deepEqual(csvParse('" padded "'), [[" padded "]]);
});

Deno.test("malformed input is a CsvError naming the line", () => {
  const cases: Array<[string, string]> = [
    ['"open', "unterminated quoted field starting at line 1"],
    ['a\nb,"x\ny\nz', "unterminated quoted field starting at line 2"],
    ['a"b', "quote inside an unquoted field at line 1"],
    ['ok\r\nok\r\nab"', "quote inside an unquoted field at line 3"],
    ['"a"b', "unexpected character after a closing quote at line 1"],
    ['"a\n\n" x', "unexpected character after a closing quote at line 3"],
    ['"a\r\n" x', "unexpected character after a closing quote at line 2"],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => csvParse(text),
      (e) => e instanceof CsvError && e.message === message,
      JSON.stringify(text),
    );
  }
});

Deno.test("writing quotes exactly the cells that need it", () => {
  assert.equal(
    csvWrite([["name", "note"], ["Ann", " padded "], ['q"uote', "a,b"], ["", "line\nbreak"]]),
    'name,note\nAnn," padded "\n"q""uote","a,b"\n,"line\nbreak"',
  );
  assert.equal(csvWrite([["cr\r"], ["tab\t"], ["x y"], ["é😀"]]), '"cr\r"\n"tab\t"\nx y\né😀');
  assert.equal(csvWrite([]), "");
  assert.equal(csvWrite([[""]]), '""');
  assert.equal(csvWrite([["", ""]]), ",");
  assert.equal(csvWrite([["a"], [""], ["b"]]), 'a\n""\nb');
});

Deno.test("csvParse(csvWrite(rows)) gives back the rows, for generated rows", () => {
  const rng = new Rng(4180);
  const pieces = ["a", "b", " ", ",", '"', "\n", "\r", "\r\n", "é", "😀", "", "x y"];
  for (let i = 0; i < 3000; i++) {
    const rows = Array.from(
      { length: rng.below(5) },
      () =>
        Array.from(
          { length: rng.below(4) + 1 },
          () => Array.from({ length: rng.below(4) }, () => rng.pick(pieces)).join(""),
        ),
    );
    const text = csvWrite(rows);
    assert.deepEqual(csvParse(text), rows, JSON.stringify(text));
    if (rows.length > 0) {
      assert.deepEqual(csvParse(text + "\n"), rows, "a final line break adds no record");
    }
    const crlf = rows.map((row) => csvWrite([row])).join("\r\n");
    assert.deepEqual(csvParse(crlf), rows, "CRLF record ends read the same");
  }
});

Deno.test("large inputs parse and write in linear time", () => {
  const rows = Array.from(
    { length: 100_000 },
    (_, i) => [String(i), `name ${i}`, i % 3 === 0 ? 'has "quotes", commas' : "", "multi\nline"],
  );
  const bigCell = "z".repeat(2_000_000) + '""';
  const started = performance.now();
  const text = csvWrite(rows);
  const parsed = csvParse(text);
  const parsedBigCell = csvParse(`"${bigCell}"`);
  const elapsedMs = performance.now() - started;
  // Generous: quadratic string building would take minutes at this size, even on a busy host.
  assert.ok(elapsedMs < 10_000, `${elapsedMs} ms`);
  assert.deepEqual(parsed, rows);
  assert.deepEqual(parsedBigCell, [["z".repeat(2_000_000) + '"']]);
});

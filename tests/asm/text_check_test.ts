/**
 * Binary input is refused in one line that says where the binary data starts: NUL bytes,
 * invalid UTF-8, or mostly control characters — for the main file and for imported modules.
 */
import { strict as assert } from "node:assert";
import { AsmError, assembleFile, formatDiagnostic } from "../../src/asm/mod.ts";
import {
  bytesProblem,
  NotTextError,
  readSourceFile,
  textProblem,
} from "../../src/asm/text_check.ts";
import { diagnosticsOf, memFs } from "./helpers.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("a NUL byte makes a file binary, at its byte offset", () => {
  assert.equal(bytesProblem(text("PUSH_INT 1\n\0\n")), "not a text file (NUL byte at byte 11)");
  assert.equal(textProblem("é\0"), "not a text file (NUL byte at byte 2)");
});

Deno.test("invalid UTF-8 is reported at the first bad sequence", () => {
  const prefix = [...text("PRINT\n")];
  assert.equal(
    bytesProblem(bytes(...prefix, 0xe9, 0x41)), // Latin-1 é
    "not a text file (invalid UTF-8 at byte 6)",
  );
  assert.equal(bytesProblem(bytes(0xc0, 0x80)), "not a text file (invalid UTF-8 at byte 0)"); // overlong
  assert.equal(
    bytesProblem(bytes(0x41, 0xed, 0xa0, 0x80)),
    "not a text file (invalid UTF-8 at byte 1)",
  ); // surrogate
  assert.equal(
    bytesProblem(bytes(0xf4, 0x90, 0x80, 0x80)),
    "not a text file (invalid UTF-8 at byte 0)",
  ); // > U+10FFFF
  assert.equal(
    bytesProblem(bytes(0x41, 0x42, 0xe2, 0x82)),
    "not a text file (invalid UTF-8 at byte 2)",
  ); // cut short
  // The earlier of NUL and invalid UTF-8 is the one reported.
  assert.equal(bytesProblem(bytes(0x41, 0xff, 0x00)), "not a text file (invalid UTF-8 at byte 1)");
  assert.equal(bytesProblem(bytes(0x41, 0x00, 0xff)), "not a text file (NUL byte at byte 1)");
});

Deno.test("invalid UTF-8 is found exactly where the host's strict decoder rejects the bytes", () => {
  // Random short byte strings, mostly multi-byte lead and continuation bytes (seeded).
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const strict = new TextDecoder("utf-8", { fatal: true });
  let rejected = 0;
  for (let n = 0; n < 5000; n++) {
    const data = new Uint8Array(1 + (next() % 8)).map(() => {
      const r = next();
      return r < 64 ? 0x41 : r < 128 ? 0x80 | (r & 0x3f) : 0xc0 | (r & 0x3f);
    });
    let valid = true;
    try {
      strict.decode(data);
    } catch {
      valid = false;
    }
    const problem = bytesProblem(data);
    if (valid) {
      assert.equal(problem, undefined, `${[...data]}`);
      continue;
    }
    rejected++;
    const at = /invalid UTF-8 at byte (\d+)\)$/.exec(problem ?? "");
    assert.ok(at !== null, `${[...data]}: ${problem}`);
    const offset = Number(at[1]);
    assert.ok(offset < data.length);
    strict.decode(data.subarray(0, offset)); // everything before the offset is valid
  }
  assert.ok(rejected > 1000 && rejected < 5000, `${rejected} rejected`);
});

Deno.test("valid UTF-8 text of every width, and a stray control character, is text", () => {
  assert.equal(bytesProblem(text('PUSH_STR "é € 😀"\r\n\tPRINT\f\v\n')), undefined);
  assert.equal(bytesProblem(text('PUSH_STR "bell\x07"\nPRINT\n')), undefined);
  assert.equal(textProblem('PUSH_STR "bell\x07"\nPRINT\n'), undefined);
});

Deno.test("mostly control characters is binary, reported at the first one", () => {
  const data = new Uint8Array(4096).map((_, i) => (i % 4 === 0 ? 0x01 : 0x41));
  data[0] = 0x41;
  assert.equal(bytesProblem(data), "not a text file (binary data at byte 4)");
  assert.equal(
    textProblem(new TextDecoder().decode(data)),
    "not a text file (binary data at byte 4)",
  );
});

Deno.test("the main file: one whole-file diagnostic naming the file", () => {
  const dir = Deno.makeTempDirSync({ prefix: "ttvm_asm_" });
  const path = `${dir}/prog.ttvm`;
  Deno.writeFileSync(path, bytes(...text("PUSH_INT 1\nPRINT\n"), 0x7f, 0x45, 0x4c, 0x46, 0x00));
  const error = (() => {
    try {
      assembleFile(path);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof AsmError);
  assert.equal(error.diagnostics.length, 1);
  assert.equal(error.message, `${path}: not a text file (NUL byte at byte 21)`);
  assert.throws(() => readSourceFile(path), NotTextError);
  Deno.writeTextFileSync(`${dir}/ok.ttvm`, "\uFEFFPRINT\n");
  assert.equal(readSourceFile(`${dir}/ok.ttvm`), "PRINT\n");
});

Deno.test("text given by a custom reader or as a string is checked too", () => {
  const [d] = diagnosticsOf(() =>
    assembleFile("/work/main.ttvm", memFs({ "/work/main.ttvm": "PRINT\n\0\0\0" }))
  );
  assert.equal(d.line, 0);
  assert.equal(d.message, "/work/main.ttvm: not a text file (NUL byte at byte 6)");
});

Deno.test("an imported binary file is reported at the IMPORT", () => {
  const files = {
    "/work/main.ttvm": 'IMPORT "lib.ttvm"\nHALT\n',
    "/work/lib.ttvm": "\x01\x02\x03\x04\x05\x06\x07\x08".repeat(20),
  };
  const [d] = diagnosticsOf(() => assembleFile("/work/main.ttvm", memFs(files)));
  assert.equal(
    formatDiagnostic(d),
    [
      "/work/main.ttvm:1:8: lib.ttvm: not a text file (binary data at byte 0)",
      '  IMPORT "lib.ttvm"',
      "         ^~~~~~~~~~",
    ].join("\n"),
  );
});

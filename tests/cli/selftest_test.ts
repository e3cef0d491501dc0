/**
 * `ttvm test`, the runtime's bundled self-check: it passes on this build, it fails (and says
 * why, with a non-zero status) when a check's expectation is not met, and the seed's
 * `ttvm test-*` names run their parts.
 */
import assert from "node:assert/strict";
import { Output } from "../../src/io/output.ts";
import {
  checksOf,
  fileOf,
  type Mode,
  runChecks,
  runSuite,
  SUITES,
} from "../../src/cli/selftest.ts";
import { type Check, CHECKS } from "../../src/cli/selftest_checks.ts";
import { runDenoScript } from "../run_deno.ts";

const ttvm = (args: string[]) => runDenoScript("main.ts", args);

/** An Output collecting text. */
function collector(): { io: { stdout: Output }; text: () => string } {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const stdout = new Output({ write: (b) => chunks.push(decoder.decode(b)) });
  return { io: { stdout }, text: () => chunks.join("") };
}

Deno.test("ttvm test passes every check in every mode and says so", async () => {
  const r = await ttvm(["test"]);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trimEnd().split("\n");
  const total = CHECKS.length * 3;
  assert.equal(lines.at(-1), `${total} passed, 0 failed`, r.stdout);
  assert.equal(r.code, 0);
  for (const check of CHECKS) {
    for (const mode of ["single", "ttb", "smp2"]) {
      assert.ok(lines.includes(`ok   ${check.name} (${mode})`), `${check.name} (${mode})`);
    }
  }
});

Deno.test("a broken expectation fails with the stream, both texts and a non-zero status", async () => {
  const [good] = CHECKS;
  const broken: Check = { ...good, name: "broken on purpose", stdout: "something else\n" };
  const wrongStatus: Check = { ...good, name: "wrong status", exitCode: 4 };
  const { io, text } = collector();
  const modes: Mode[] = ["single", "smp2"];
  const result = await runChecks([good, broken, wrongStatus], modes, io);
  assert.deepEqual(result, { passed: 2, failed: 4 });
  const lines = text().trimEnd().split("\n");
  assert.equal(lines[0], `ok   ${good.name} (single)`);
  assert.equal(lines[1], `ok   ${good.name} (smp2)`);
  assert.match(
    lines[2],
    /^FAIL broken on purpose \(single\): expected stdout "something else\\n" got "10\\n-3\\n/,
  );
  assert.match(lines[3], /^FAIL broken on purpose \(smp2\): expected stdout "something else\\n"/);
  assert.equal(lines[4], "FAIL wrong status (single): expected exit status 4 got 0");
  assert.equal(lines[6], "2 passed, 4 failed");
  // Through a named suite, the same failure is the command's exit status.
  const registry = checksOf("test-register-whereis");
  const wrong = registry.map((c) => ({
    ...c,
    stdout: c.stdout.replace("echo: ping", "echo: pong"),
  }));
  const suite = collector();
  assert.equal(await runSuite("test-register-whereis", suite.io, wrong), 1);
  assert.match(suite.text(), /FAIL registry: .* \(single\): expected stdout /);
  assert.equal(await runSuite("test-register-whereis", collector().io, registry), 0);
});

Deno.test("a program that fails to assemble is a failed check, not a crash", async () => {
  const bad: Check = {
    name: "does not assemble",
    groups: ["core"],
    source: "PUSH_IN 1\n",
    stdout: "",
  };
  const { io, text } = collector();
  assert.deepEqual(await runChecks([bad], ["single", "smp2"], io), { passed: 0, failed: 2 });
  assert.match(text(), /FAIL does not assemble \(single\): could not run: assembly failed: /);
});

Deno.test("the seed's test-* names run their part of the suite", async () => {
  const r = await ttvm(["test-register-whereis"]);
  assert.equal(r.code, 0, r.stdout);
  const names = checksOf("test-register-whereis").map((c) => c.name);
  assert.ok(names.length >= 1);
  const expected = names.flatMap((n) => [`ok   ${n} (single)`, `ok   ${n} (smp2)`]);
  assert.equal(r.stdout, [...expected, `${expected.length} passed, 0 failed`, ""].join("\n"));
  const smpOnly = await ttvm(["test-smp-concurrency"]);
  assert.equal(smpOnly.code, 0, smpOnly.stdout);
  assert.ok(smpOnly.stdout.trimEnd().split("\n").slice(0, -1).every((l) => l.endsWith("(smp2)")));
});

Deno.test("every suite has checks; every check has its own file name", () => {
  for (const name of Object.keys(SUITES)) {
    assert.ok(checksOf(name).length > 0, `${name} runs no check`);
  }
  assert.equal(new Set(CHECKS.map(fileOf)).size, CHECKS.length);
  for (
    const seedName of [
      "test-concurrency",
      "test-multithreaded",
      "test-message-passing",
      "test-process-spawning",
      "test-register-whereis",
      "test-yield-comprehensive",
      "test-spawn-comprehensive",
      "test-send-receive-comprehensive",
      "test-concurrency-bytecode",
      "test-smp-concurrency",
    ]
  ) {
    assert.ok(seedName in SUITES, seedName);
  }
});

Deno.test("test takes no arguments; a mistyped suite name gets a suggestion", async () => {
  const extra = await ttvm(["test", "x.ttvm"]);
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /^Error: ttvm test takes no arguments\n/);
  const typo = await ttvm(["test-concurency"]);
  assert.equal(typo.code, 2);
  assert.match(
    typo.stderr,
    /^Error: unknown command 'test-concurency' — did you mean 'test-concurrency'\?/,
  );
});

/**
 * The stack-depth checker: certain underflows and depths that differ where paths meet, found
 * through jumps, branches, handlers, calls (with each function's effect), spawned processes and
 * operand-dependent opcodes — and silence wherever the depth cannot be known.
 */
import { strict as assert } from "node:assert";
import { OPCODES } from "../../src/isa/opcodes.ts";
import { assembleSourceChecked, formatDiagnostic } from "../../src/asm/mod.ts";
import { checkStack, OPERAND_DEPENDENT } from "../../src/asm/stack_check.ts";
import { REPO_ROOT } from "../golden_lib.ts";
import { asm, memFs } from "./helpers.ts";

/** `line: message` of each finding of a one-file program. */
function findings(lines: string[]): string[] {
  const p = asm(lines.join("\n"));
  return checkStack(p).map((f) => `${p.lines[f.pc]}: ${f.message}`);
}

const under = (line: number, op: string, need: number, most: number) =>
  `${line}: stack underflow: ${op} needs ${need} value${need === 1 ? "" : "s"} but the stack ` +
  `holds at most ${most} here`;

Deno.test("a well-formed program has no findings", () => {
  assert.deepEqual(
    findings([
      "PUSH_INT 10",
      "STORE n",
      "LABEL loop",
      "LOAD n",
      "JZ done",
      "LOAD n",
      "PUSH_INT 1",
      "SUB",
      "DUP",
      "PRINT",
      "STORE n",
      "JMP loop",
      "LABEL done",
      "PUSH_INT 40",
      "PUSH_INT 2",
      "CALL add a b",
      "PRINT",
      "HALT",
      "LABEL add",
      "LOAD a",
      "LOAD b",
      "ADD",
      "RET",
    ]),
    [],
  );
});

Deno.test("certain underflows at the start of a program, reported once per path", () => {
  assert.deepEqual(findings(["ADD"]), [under(1, "ADD", 2, 0)]);
  assert.deepEqual(findings(["PUSH_INT 1", "ADD", "PRINT"]), [under(2, "ADD", 2, 1)]);
  // The first failing instruction ends the path: the PRINT after it is not reported.
  assert.deepEqual(findings(["PUSH_INT 1", "PRINT", "PRINT", "PRINT"]), [under(3, "PRINT", 1, 0)]);
  assert.deepEqual(findings(["PUSH_INT 1", "SWAP"]), [under(2, "SWAP", 2, 1)]);
});

Deno.test("depths that differ where paths meet: loops, one-sided pushes, shared handlers", () => {
  assert.deepEqual(findings(["LABEL top", "PUSH_INT 1", "JMP top"]), [
    "2: stack depth differs where paths meet: 0 coming from the entry, 1 coming from line 3",
  ]);
  assert.deepEqual(
    findings(["PUSH_INT 0", "JZ skip", 'PUSH_STR "extra"', "LABEL skip", "PUSH_INT 1", "PRINT"]),
    ["5: stack depth differs where paths meet: 0 coming from line 2, 1 coming from line 3"],
  );
  // Two TRYs at different depths sharing one handler.
  assert.deepEqual(
    findings([
      "TRY h",
      "END_TRY",
      "PUSH_INT 1",
      "TRY h",
      "END_TRY",
      "HALT",
      "LABEL h",
      "CATCH",
      "PRINT",
    ]),
    ["8: stack depth differs where paths meet: 1 coming from line 1, 2 coming from line 4"],
  );
});

Deno.test("a handler starts with the TRY's depth plus the exception", () => {
  assert.deepEqual(
    findings(["TRY h", "PUSH_INT 1", "THROW", "LABEL h", "CATCH", "PRINT", "PRINT"]),
    [under(7, "PRINT", 1, 0)],
  );
});

Deno.test("a receive timeout jumps with its operands gone and nothing pushed", () => {
  assert.deepEqual(
    findings(["PUSH_INT 5", "RECEIVE_AFTER t", "PRINT", "HALT", "LABEL t", "PRINT"]),
    [under(6, "PRINT", 1, 0)],
  );
  assert.deepEqual(
    findings([
      'PUSH_STR "_"',
      "PUSH_INT 5",
      "RECEIVE_MATCH_AFTER t",
      "PRINT",
      "HALT",
      "LABEL t",
      "PRINT",
    ]),
    [under(7, "PRINT", 1, 0)],
  );
});

Deno.test("calls: the callee's entry depth comes from its call sites, its effect flows back", () => {
  // f returns one value more than it was given: the caller may PRINT once, not twice.
  assert.deepEqual(
    findings([
      "CALL f",
      "PRINT",
      "PRINT",
      "HALT",
      "LABEL f",
      "PUSH_INT 7",
      "RET",
    ]),
    [under(3, "PRINT", 1, 0)],
  );
  // Called with one value on the stack, g cannot ADD.
  assert.deepEqual(
    findings(["PUSH_INT 1", "CALL g", "HALT", "LABEL g", "ADD", "RET"]),
    [under(5, "ADD", 2, 1)],
  );
  // Another call site with two values makes it possible: no finding.
  assert.deepEqual(
    findings([
      "PUSH_INT 1",
      "CALL g",
      "PUSH_INT 1",
      "PUSH_INT 1",
      "CALL g",
      "HALT",
      "LABEL g",
      "ADD",
      "RET",
    ]).filter((f) => f.includes("underflow")),
    [],
  );
  // Parameters are popped by CALL itself: it needs them.
  assert.deepEqual(findings(["PUSH_INT 1", "CALL h a b", "HALT", "LABEL h", "RET"]), [
    under(2, "CALL", 2, 1),
  ]);
});

Deno.test("recursion: a consistent effect is found, a growing one is widened", () => {
  const fib = [
    "PUSH_INT 10",
    "CALL fib n",
    "PRINT",
    "HALT",
    "LABEL fib",
    "LOAD n",
    "PUSH_INT 2",
    "LT",
    "JZ rec",
    "LOAD n",
    "RET",
    "LABEL rec",
    "LOAD n",
    "PUSH_INT 1",
    "SUB",
    "CALL fib n",
    "LOAD n",
    "PUSH_INT 2",
    "SUB",
    "CALL fib n",
    "ADD",
    "RET",
  ];
  assert.deepEqual(findings(fib), []);
  assert.deepEqual(findings([...fib.slice(0, 3), "PRINT", ...fib.slice(3)]), [
    under(4, "PRINT", 1, 0),
  ]);
  // A function that pushes one more value each time it recurses: no exact effect, no
  // false finding, and the analysis ends.
  assert.deepEqual(
    findings([
      "CALL grow",
      "HALT",
      "LABEL grow",
      "PUSH_INT 1",
      "DUP",
      "JZ out",
      "CALL grow",
      "LABEL out",
      "RET",
    ])
      .filter((f) => f.includes("underflow")),
    [],
  );
});

Deno.test("operand-dependent opcodes: counts, parameter lists and PID operands", () => {
  assert.deepEqual(findings(["PUSH_INT 1", "PUSH_INT 2", "MAKE_LIST 3"]), [
    under(3, "MAKE_LIST", 3, 2),
  ]);
  assert.deepEqual(findings(["PUSH_INT 1", "PUSH_INT 2", "MAKE_LIST 2", "PRINT"]), []);
  assert.deepEqual(findings(['PUSH_STR "m"', "SEND 1"]), []);
  assert.deepEqual(findings(['PUSH_STR "m"', "SEND"]), [under(2, "SEND", 2, 1)]);
  assert.deepEqual(findings(["LINK"]), [under(1, "LINK", 1, 0)]);
  assert.deepEqual(findings(["MONITOR 2", "PRINT"]), []);
  // A Function made just before: CALL_FUNCTION pops it and its parameters, then its effect.
  assert.deepEqual(
    findings([
      "PUSH_INT 1",
      "MAKE_FUNCTION f a b",
      "CALL_FUNCTION",
      "HALT",
      "LABEL f",
      "RET",
    ]),
    [under(3, "CALL_FUNCTION", 3, 2)],
  );
});

Deno.test("every opcode whose table row depends on an operand has a rule", () => {
  const dependent = OPCODES.filter((op) => op.pops < 0 || op.pushes < 0);
  assert.ok(dependent.length >= 10);
  for (const op of dependent) {
    assert.ok(OPERAND_DEPENDENT.has(op.code), `${op.name} (-1 in the table) has no checker rule`);
  }
});

Deno.test("processes: a spawned label or supervised child starts with an empty stack", () => {
  assert.deepEqual(findings(['PUSH_STR "w"', "SPAWN", "POP", "HALT", "LABEL w", "PRINT"]), [
    under(6, "PRINT", 1, 0),
  ]);
  assert.deepEqual(
    findings(["START_SUPERVISOR", "SUPERVISE_CHILD worker", "HALT", "LABEL worker", "POP"]),
    [under(5, "POP", 1, 0)],
  );
  // SPAWN of a label takes no arguments: the value below the label name stays.
  assert.deepEqual(
    findings(["PUSH_INT 9", 'PUSH_STR "w"', "SPAWN", "POP", "PRINT", "HALT", "LABEL w", "HALT"]),
    [],
  );
});

Deno.test("where the depth cannot be known, nothing is reported", () => {
  // A function value may be called with anything on the stack.
  assert.deepEqual(findings(["MAKE_FUNCTION f", "POP", "HALT", "LABEL f", "ADD", "RET"]), []);
  // After a call through an unknown value, the depth is unknown.
  assert.deepEqual(findings(["LOAD fn", "CALL_FUNCTION", "PRINT", "PRINT", "PRINT"]), []);
  // An imported module runs at the importer's depth.
  const files = {
    "/work/main.ttvm": 'PUSH_INT 1\nIMPORT "lib.ttvm"\nPRINT\n',
    "/work/lib.ttvm": "POP\nPUSH_INT 2\n",
  };
  const checked = assembleSourceChecked(files["/work/main.ttvm"], "/work/main.ttvm", memFs(files));
  assert.deepEqual(checked.warnings, []);
  // Code no entry reaches is not analysed.
  assert.deepEqual(findings(["HALT", "LABEL nobody", "ADD"]), []);
});

Deno.test("warnings are located at the instruction, with caret, as `warning:`", () => {
  const { warnings } = assembleSourceChecked('PUSH_STR "a"\n  CONCAT\n', "w.ttvm", memFs({}));
  assert.equal(
    warnings.map(formatDiagnostic).join("\n"),
    [
      "w.ttvm:2:3: warning: stack underflow: CONCAT needs 2 values but the stack holds at most 1 here",
      "    CONCAT",
      "    ^~~~~~",
    ].join("\n"),
  );
});

Deno.test("the standard library and the actor examples check clean", () => {
  const dirs = ["std", "examples/actors", "bench/programs"];
  for (const dir of dirs) {
    for (const entry of Deno.readDirSync(REPO_ROOT + dir)) {
      if (!entry.name.endsWith(".ttvm")) continue;
      const path = `${dir}/${entry.name}`;
      const { warnings } = assembleSourceChecked(
        Deno.readTextFileSync(REPO_ROOT + path),
        path,
        { cwd: REPO_ROOT },
      );
      assert.deepEqual(warnings.map(formatDiagnostic), [], path);
    }
  }
});

Deno.test("the checker's work is linear: call chains, many functions, long loops", () => {
  const program = (n: number) => {
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`PUSH_INT ${i}`, `CALL f${i} x`, "PRINT");
    parts.push("HALT");
    for (let i = 0; i < n; i++) {
      parts.push(`LABEL f${i}`, "LOAD x", `LABEL l${i}`, "DUP", `JZ e${i}`, "PUSH_INT 1", "SUB");
      parts.push(`JMP l${i}`, `LABEL e${i}`);
      if (i + 1 < n) parts.push("PUSH_INT 0", `CALL f${i + 1} x`, "POP");
      parts.push("RET");
    }
    return asm(parts.join("\n"));
  };
  const small = program(2000), large = program(8000);
  const time = (p: ReturnType<typeof asm>) => {
    const t0 = performance.now();
    assert.deepEqual(checkStack(p), []);
    return performance.now() - t0;
  };
  time(small); // warm up the JIT
  // Alternating sizes, best of three each: load from other processes hits both alike.
  let tSmall = Infinity, tLarge = Infinity;
  for (let round = 0; round < 3; round++) {
    tSmall = Math.min(tSmall, time(small));
    tLarge = Math.min(tLarge, time(large));
  }
  // Linear: ~4× (more when the garbage collector meets the larger heap); quadratic: ~16×.
  assert.ok(tLarge < 10 * tSmall + 100, `${tSmall.toFixed(1)} ms, then ${tLarge.toFixed(1)} ms`);
});

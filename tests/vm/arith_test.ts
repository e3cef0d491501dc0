/**
 * Integer arithmetic is exact to 64 bits and wraps (LANGUAGE.md §1), whether the interpreter
 * takes its double fast path or the BigInt slow path.
 */
import assert from "node:assert/strict";
import { out, run } from "./helpers.ts";

const MAX = 9223372036854775807n, MIN = -9223372036854775808n;
const wrap = (n: bigint) => BigInt.asIntN(64, n);

async function binop(op: string, a: bigint, b: bigint): Promise<string> {
  return (await out([`PUSH_INT ${a}`, `PUSH_INT ${b}`, op, "PRINT"]))[0];
}

Deno.test("64-bit edge cases wrap like i64", async () => {
  assert.equal(await binop("ADD", MAX, 1n), String(MIN));
  assert.equal(await binop("SUB", MIN, 1n), String(MAX));
  assert.equal(await binop("DIV", MIN, -1n), String(MIN));
  assert.equal(await binop("MUL", 3037000500n, 3037000500n), String(wrap(3037000500n ** 2n)));
  assert.equal(await binop("MUL", MAX, MAX), "1");
  assert.equal((await out(["PUSH_INT -9223372036854775808", "NEG", "PRINT"]))[0], String(MIN));
  assert.equal(await binop("ADD", 9007199254740991n, 1n), "9007199254740992");
  assert.equal(await binop("SUB", 9007199254740992n, 1n), "9007199254740991");
});

Deno.test("DIV truncates toward zero and MOD takes the dividend's sign", async () => {
  assert.equal(await binop("DIV", -7n, 2n), "-3");
  assert.equal(await binop("DIV", 7n, -2n), "-3");
  assert.equal(await binop("MOD", -7n, 2n), "-1");
  assert.equal(await binop("MOD", 7n, -2n), "1");
  assert.equal(await binop("MOD", MIN, -1n), "0");
});

Deno.test("division and modulo by zero are runtime errors", async () => {
  for (const op of ["DIV", "MOD"]) {
    const r = await run(["PUSH_INT 1", "PUSH_INT 0", op]);
    assert.equal(r.exitCode, 1);
    assert.equal(r.stderr, "Error: Division by zero\n    at test.ttvm:3\n");
  }
});

Deno.test("random ADD/SUB/MUL agree with BigInt reference across the fast/slow boundary", async () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const pick = (): bigint => {
    const scale = [1n, 1n << 20n, 1n << 40n, 1n << 52n, 1n << 53n, 1n << 62n][rnd() % 6];
    return (BigInt(rnd()) * scale + BigInt(rnd())) % (MAX / 2n) * (rnd() % 2 ? 1n : -1n);
  };
  const lines: string[] = [], expected: string[] = [];
  for (let i = 0; i < 300; i++) {
    const a = pick(), b = pick();
    for (
      const [op, f] of [["ADD", (x: bigint, y: bigint) => x + y], [
        "SUB",
        (x: bigint, y: bigint) => x - y,
      ], ["MUL", (x: bigint, y: bigint) => x * y]] as const
    ) {
      lines.push(`PUSH_INT ${a}`, `PUSH_INT ${b}`, op, "PRINT");
      expected.push(String(wrap(f(a, b))));
    }
  }
  assert.deepEqual(await out(lines), expected);
});

Deno.test("mixed Int/Float arithmetic gives Floats; comparisons push Int 1/0", async () => {
  assert.deepEqual(
    await out([
      "PUSH_INT 1",
      "PUSH_FLOAT 0.5",
      "ADD",
      "PRINT",
      "PUSH_FLOAT 2.5",
      "PUSH_FLOAT 3.2",
      "ADD_F",
      "PRINT",
      "PUSH_INT 3",
      "PUSH_INT 4",
      "LT",
      "PRINT",
      "PUSH_INT 1",
      "PUSH_FLOAT 1.0",
      "EQ",
      "PRINT",
      'PUSH_STR "a"',
      'PUSH_STR "a"',
      "EQ",
      "PRINT",
    ]),
    ["1.5", "5.7", "1", "0", "1"],
  );
});

Deno.test("type errors carry the reference's message text", async () => {
  const r = await run(['PUSH_STR "a"', "PUSH_INT 1", "ADD"]);
  assert.equal(
    r.stderr,
    'Error: ADD expects two numbers (int or float) but got Str("a"), Int(1)\n    at test.ttvm:3\n',
  );
  const g = await run(["PUSH_FLOAT 2.0", "PUSH_INT 1", "GT"]);
  assert.match(g.stderr, /^Error: GT expects two integers but got Float\(2\.0\), Int\(1\)\n/);
});

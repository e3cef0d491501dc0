/**
 * Seeded random ttvm values for the distribution property test, written as a ttvm program that
 * builds each value with instructions and sends it through another node: for value i it sends
 * `{SELF, i, v}` to the process registered as `echo` on the node given as argument, waits for
 * `{i, v2}` and prints `ok i` when v2 EQs v, else `MISMATCH i <v2> <v>`. So the values are
 * encoded and decoded by the VM's own distribution, not by the test.
 *
 * Kinds: Int (full 64-bit range), Float (finite, -0.0, extremes), Str (any Unicode, escapes),
 * Bool, Null, Atom (Unicode names), Bytes (gzip data: never valid UTF-8), PIDs (SELF), Lists,
 * Tuples, Objects (Unicode keys), Functions. Left out on purpose: NaN and ±inf (EQ never holds
 * for them, by LANGUAGE.md §1; tests/cluster/values_test.ts covers their round trip), atoms
 * named true/false/undefined and Bytes that happen to be UTF-8 (they arrive as Bool/Null/Str —
 * the mapping of LANGUAGE.md §8).
 */

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = [
  ..."abcxyzABC019 _-.,;:!?",
  '"',
  "\\",
  "\n",
  "\t",
  "é",
  "ß",
  "日",
  "本",
  "😀",
  "🎉",
  "\u{feff}",
  "\u00a0",
  "Ω",
];

function quote(s: string): string {
  return `"${
    s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t")
  }"`;
}

export function randomProgram(seed: number, count: number): string {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const text = (max: number) =>
    Array.from({ length: int(max + 1) }, () => CHARS[int(CHARS.length)]).join("");
  const out: string[] = [];
  const emit = (...lines: string[]) => out.push(...lines);

  const value = (depth: number): void => {
    const kinds = depth >= 3 ? 10 : 14;
    switch (int(kinds)) {
      case 0: {
        const big = BigInt.asIntN(64, BigInt(int(2 ** 32)) << 32n | BigInt(int(2 ** 32)));
        emit(`PUSH_INT ${[0n, -1n, 255n, 256n, -(2n ** 63n), 2n ** 63n - 1n, big][int(7)]}`);
        return;
      }
      case 1: {
        const special = [-0, 0.5, 1e300, -1e-300, 5e-324, 1.7976931348623157e308];
        const x = rnd() < 0.3 ? special[int(special.length)] : (rnd() - 0.5) * 10 ** (int(40) - 20);
        emit(`PUSH_FLOAT ${Object.is(x, -0) ? "-0.0" : String(x)}`);
        return;
      }
      case 2:
      case 3:
        emit(`PUSH_STR ${quote(text(12))}`);
        return;
      case 4:
        emit(rnd() < 0.5 ? "TRUE" : "FALSE");
        return;
      case 5:
        emit("NULL");
        return;
      case 6: {
        const names = ["ok", "error", "héllo wörld", "日本語", "EXIT", "a_b", "x😀"];
        emit(`PUSH_ATOM ${quote(names[int(names.length)])}`);
        return;
      }
      case 7:
        emit(`PUSH_STR ${quote(text(20))}`, "COMPRESS");
        return;
      case 8:
        emit("SELF");
        return;
      case 9:
        emit("MAKE_FUNCTION check erl v i");
        return;
      case 10:
      case 11: {
        const n = int(5);
        for (let i = 0; i < n; i++) value(depth + 1);
        emit(`${int(2) === 0 ? "MAKE_LIST" : "MAKE_TUPLE"} ${n}`);
        return;
      }
      default: {
        emit("MAKE_OBJECT");
        const keys = new Set<string>();
        for (let i = int(5); i > 0; i--) keys.add(text(6));
        for (const k of keys) {
          value(depth + 1);
          emit(`SET_FIELD ${quote(k)}`);
        }
      }
    }
  };

  emit("GET_ARGS", "PUSH_INT 0", "INDEX", "STORE erl");
  for (let i = 0; i < count; i++) {
    emit("LOAD erl");
    value(0);
    emit(`PUSH_INT ${i}`, "CALL check erl v i");
  }
  emit("LOAD erl", "PUSH_ATOM stop", "SENDNAMED_AT echo", "HALT");
  emit(
    "LABEL check",
    "LOAD erl",
    "SELF",
    "LOAD i",
    "LOAD v",
    "MAKE_TUPLE 3",
    "SENDNAMED_AT echo",
    "LOAD i",
    'PUSH_STR "_"',
    "MAKE_TUPLE 2",
    "PUSH_INT 30000",
    "RECEIVE_MATCH_AFTER lost",
    "PUSH_INT 1",
    "INDEX",
    "STORE back",
    "LOAD back",
    "LOAD v",
    "EQ",
    "JZ mismatch",
    'PUSH_STR "ok "',
    "LOAD i",
    "TO_STR",
    "CONCAT",
    "PRINT",
    "RET",
    "LABEL mismatch",
    'PUSH_STR "MISMATCH "',
    "LOAD i",
    "TO_STR",
    "CONCAT",
    'PUSH_STR " "',
    "CONCAT",
    "LOAD back",
    "TO_STR",
    "CONCAT",
    'PUSH_STR " "',
    "CONCAT",
    "LOAD v",
    "TO_STR",
    "CONCAT",
    "PRINT",
    "RET",
    "LABEL lost",
    'PUSH_STR "LOST "',
    "LOAD i",
    "TO_STR",
    "CONCAT",
    "PRINT",
    "RET",
  );
  return out.join("\n") + "\n";
}

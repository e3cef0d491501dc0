/**
 * External Term Format: every tag decodes to the model and encodes back to what OTP writes;
 * exotic terms (funs, exports, ports, bitstrings) re-encode byte for byte; integers far beyond
 * 64 bits are exact; malformed input is an EtfError; nothing recurses by nesting depth; and a
 * seeded property test in both directions agrees with a real Erlang (`erl`), which decodes our
 * encodings and whose encodings we decode and give back unchanged.
 */
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { readU32 } from "../../src/dist/bytes.ts";
import {
  decodeTerm,
  decodeTermAt,
  describeOpaque,
  encodeTerm,
  EtfError,
} from "../../src/dist/etf.ts";
import { formatErlTerm, formatFloat } from "../../src/dist/format.ts";
import {
  atom,
  binary,
  charList,
  type ErlTerm,
  float,
  list,
  map,
  NIL,
  pid,
  ref,
  termEquals,
  tuple,
} from "../../src/dist/term.ts";
import { runErl } from "./erl_harness.ts";
import { hasMultiEntryMap, randomTerm, Rng } from "./random_terms.ts";

const enc = new TextEncoder();
const bytes = (...parts: (number | string | number[])[]) =>
  new Uint8Array(
    parts.flatMap((p) =>
      typeof p === "number" ? [p] : typeof p === "string" ? [...enc.encode(p)] : p
    ),
  );
const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

function roundTrip(wire: Uint8Array, expected: ErlTerm, canonical: Uint8Array = wire) {
  const term = decodeTerm(wire);
  assert.ok(termEquals(term, expected), `decoded ${formatErlTerm(term)}`);
  assert.deepEqual(encodeTerm(term), canonical);
}

Deno.test("integers: SMALL_INTEGER, INTEGER, SMALL_BIG and LARGE_BIG, exact beyond 64 bits", () => {
  roundTrip(bytes(131, 97, 5), 5n);
  roundTrip(bytes(131, 98, ...u32(256)), 256n);
  roundTrip(bytes(131, 98, 255, 255, 255, 255), -1n);
  roundTrip(bytes(131, 98, 128, 0, 0, 0), -(1n << 31n));
  roundTrip(bytes(131, 110, 4, 0, 0, 0, 0, 128), 1n << 31n);
  roundTrip(bytes(131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 1n << 64n);
  roundTrip(bytes(131, 110, 8, 1, ...Array(8).fill(255)), -((1n << 64n) - 1n));
  const huge = 3n ** 700n; // 1110 bits: 139 bytes
  const decoded = decodeTerm(encodeTerm(huge));
  assert.equal(decoded, huge);
  const big = 1n << 2048n; // 257 digit bytes → LARGE_BIG_EXT
  const wire = encodeTerm(-big);
  assert.deepEqual([...wire.subarray(0, 7)], [131, 111, 0, 0, 1, 1, 1]);
  assert.equal(decodeTerm(wire), -big);
  // A non-normalised SMALL_BIG holding a small value is just that integer.
  assert.equal(decodeTerm(bytes(131, 110, 2, 1, 7, 0)), -7n);
});

Deno.test("floats: NEW_FLOAT both ways, old FLOAT_EXT decodes, non-finite refused", () => {
  roundTrip(bytes(131, 70, 63, 248, 0, 0, 0, 0, 0, 0), float(1.5));
  roundTrip(bytes(131, 70, 128, 0, 0, 0, 0, 0, 0, 0), float(-0));
  const text = "1.50000000000000000000e+00";
  const old = bytes(131, 99, text, ...Array(31 - text.length).fill(0));
  roundTrip(old, float(1.5), bytes(131, 70, 63, 248, 0, 0, 0, 0, 0, 0));
  assert.throws(() => encodeTerm(float(NaN)), EtfError);
  assert.throws(() => decodeTerm(bytes(131, 70, 127, 240, 0, 0, 0, 0, 0, 0)), EtfError);
});

Deno.test("atoms: UTF-8 small and long forms; latin-1 ATOM_EXT / SMALL_ATOM_EXT decode", () => {
  roundTrip(bytes(131, 119, 2, "ok"), atom("ok"));
  roundTrip(bytes(131, 119, 6, "héllo"), atom("héllo"));
  const longName = "😀".repeat(255); // 1020 bytes: ATOM_UTF8_EXT
  roundTrip(bytes(131, 118, 0x03, 0xfc, longName), atom(longName));
  roundTrip(bytes(131, 100, 0, 2, 0xe9, 0x61), atom("éa"), bytes(131, 119, 3, "éa"));
  roundTrip(bytes(131, 115, 1, 0xff), atom("ÿ"), bytes(131, 119, 2, "ÿ"));
  assert.throws(() => encodeTerm(atom("x".repeat(256))), /longer than 255/);
  assert.throws(() => decodeTerm(bytes(131, 119, 2, 0xc3, 0x28)), /UTF-8/);
});

Deno.test("tuples, nil, strings, proper and improper lists", () => {
  roundTrip(bytes(131, 104, 2, 97, 1, 106), tuple(1n, NIL));
  const items = Array.from({ length: 300 }, (_, i) => BigInt(i % 7));
  roundTrip(
    bytes(131, 105, ...u32(300), ...items.flatMap((i) => [97, Number(i)])),
    tuple(...items),
  );
  roundTrip(bytes(131, 106), NIL);
  roundTrip(bytes(131, 107, 0, 3, "abc"), charList("abc"));
  roundTrip(bytes(131, 108, ...u32(2), 97, 1, 98, ...u32(1000), 106), list([1n, 1000n]));
  roundTrip(bytes(131, 108, ...u32(2), 97, 1, 97, 2, 119, 1, "t"), list([1n, 2n], atom("t")));
  // A list of bytes with an improper tail is not a STRING_EXT.
  assert.deepEqual([...encodeTerm(list([1n], 2n)).subarray(0, 2)], [131, 108]);
  // 65,536 bytes no longer fit STRING_EXT's u16 length.
  assert.equal(encodeTerm(list(Array(65536).fill(1n)))[1], 108);
  assert.equal(encodeTerm(list(Array(65535).fill(1n)))[1], 107);
  // Non-canonical inputs: LIST_EXT with no elements is its tail; a list tail is merged.
  assert.equal(decodeTerm(bytes(131, 108, ...u32(0), 97, 9)), 9n);
  const chained = decodeTerm(bytes(131, 108, ...u32(1), 97, 1, 108, ...u32(1), 97, 2, 106));
  assert.ok(termEquals(chained, list([1n, 2n])));
  assert.deepEqual(encodeTerm(chained), bytes(131, 107, 0, 2, 1, 2));
});

Deno.test("binaries and bitstrings; bitstrings stay byte-identical", () => {
  roundTrip(bytes(131, 109, ...u32(3), 1, 2, 3), binary(new Uint8Array([1, 2, 3])));
  roundTrip(bytes(131, 109, ...u32(0)), binary(""));
  const bits = bytes(131, 77, ...u32(2), 3, 0xff, 0xe0);
  const term = decodeTerm(bits);
  assert.equal(typeof term === "object" && term.t, "opaque");
  assert.deepEqual(encodeTerm(term), bits);
  assert.equal(formatErlTerm(term), "<<255,7:3>>");
  // Unused trailing bits are cleared so equal bitstrings have equal bytes.
  assert.ok(
    termEquals(
      decodeTerm(bytes(131, 77, ...u32(1), 3, 0xff)),
      decodeTerm(bytes(131, 77, ...u32(1), 3, 0xe0)),
    ),
  );
  // All 8 bits used: an ordinary binary.
  roundTrip(
    bytes(131, 77, ...u32(1), 8, 7),
    binary(new Uint8Array([7])),
    bytes(131, 109, ...u32(1), 7),
  );
});

Deno.test("maps keep their entries' order and compare as sets", () => {
  const wire = bytes(131, 116, ...u32(2), 119, 1, "b", 97, 2, 119, 1, "a", 97, 1);
  const term = decodeTerm(wire);
  assert.deepEqual(encodeTerm(term), wire);
  assert.ok(termEquals(term, map([[atom("a"), 1n], [atom("b"), 2n]])));
  assert.ok(!termEquals(term, map([[atom("a"), 2n], [atom("b"), 1n]])));
  roundTrip(bytes(131, 116, 0, 0, 0, 0), map([]));
});

Deno.test("pids, references and ports in every form", () => {
  const node = [119, 4, ..."a@vm"].map((c) => typeof c === "string" ? c.charCodeAt(0) : c);
  roundTrip(bytes(131, 88, node, ...u32(85), ...u32(0), ...u32(7)), pid("a@vm", 85, 0, 7));
  // Old PID_EXT (one-byte creation) decodes and is written as NEW_PID_EXT, as OTP does.
  roundTrip(
    bytes(131, 103, node, ...u32(85), ...u32(1), 2),
    pid("a@vm", 85, 1, 2),
    bytes(131, 88, node, ...u32(85), ...u32(1), ...u32(2)),
  );
  const newer = bytes(131, 90, 0, 3, node, ...u32(9), ...u32(1), ...u32(2), ...u32(3));
  roundTrip(newer, ref("a@vm", 9, [1, 2, 3]));
  roundTrip(
    bytes(131, 90, 0, 5, node, ...u32(9), ...u32(1), ...u32(2), ...u32(3), ...u32(4), ...u32(5)),
    ref("a@vm", 9, [1, 2, 3, 4, 5]),
  );
  roundTrip(
    bytes(131, 114, 0, 2, node, 3, ...u32(1), ...u32(2)),
    ref("a@vm", 3, [1, 2]),
    bytes(131, 90, 0, 2, node, ...u32(3), ...u32(1), ...u32(2)),
  );
  roundTrip(
    bytes(131, 101, node, ...u32(4), 1),
    ref("a@vm", 1, [4]),
    bytes(131, 90, 0, 1, node, ...u32(1), ...u32(4)),
  );
  for (
    const port of [
      bytes(131, 102, node, ...u32(5), 1),
      bytes(131, 89, node, ...u32(5), ...u32(7)),
      bytes(131, 120, node, ...u32(1), ...u32(5), ...u32(7)),
    ]
  ) {
    const term = decodeTerm(port);
    assert.deepEqual(encodeTerm(term), port, "ports re-encode byte for byte");
    assert.match(formatErlTerm(term), /^#Port<a@vm\.(5|4294967301)>$/);
  }
  assert.throws(() => encodeTerm(pid("a@vm", -1, 0, 0)), /pid id/);
  assert.throws(() => encodeTerm(ref("a@vm", 1, [])), /1 to 5/);
});

Deno.test("funs and exports are opaque and byte-identical; FUN_EXT still decodes", () => {
  // Captured from OTP 25: term_to_binary(px:f(1)) where f(X) -> fun() -> X end.
  const fun = bytes(
    131,
    112,
    0,
    0,
    0,
    72,
    0,
    41,
    131,
    237,
    213,
    159,
    0,
    153,
    76,
    182,
    247,
    213,
    212,
    198,
    126,
    66,
    197,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    100,
    0,
    2,
    112,
    120,
    97,
    0,
    98,
    1,
    76,
    31,
    110,
    88,
    100,
    0,
    13,
    ..."nonode@nohost",
    0,
    0,
    0,
    9,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    97,
    1,
  );
  const term = decodeTerm(fun);
  assert.deepEqual(encodeTerm(term), fun);
  assert.equal(formatErlTerm(term), "#Fun<px.0.21765998>");
  assert.deepEqual(describeOpaque(term as never), {
    kind: "fun",
    module: "px",
    index: 0,
    uniq: 21765998,
    arity: 0,
    numFree: 1,
  });
  const exp = bytes(131, 113, 100, 0, 5, "lists", 100, 0, 3, "map", 97, 2);
  assert.deepEqual(encodeTerm(decodeTerm(exp)), exp);
  assert.equal(formatErlTerm(decodeTerm(exp)), "fun lists:map/2");
  const oldFun = bytes(
    131,
    117,
    ...u32(1),
    88,
    119,
    1,
    "n",
    ...u32(1),
    ...u32(0),
    ...u32(1),
    119,
    1,
    "m",
    97,
    3,
    97,
    4,
    97,
    42,
  );
  assert.deepEqual(encodeTerm(decodeTerm(oldFun)), oldFun);
  // A size field that disagrees with the content is refused.
  const badSize = fun.slice();
  badSize[5] = 73;
  assert.throws(() => decodeTerm(badSize), /size mismatch/);
});

Deno.test("compressed terms decode; terms inside frames decode at an offset", () => {
  const inner = encodeTerm(list(Array(1000).fill(atom("same"))));
  const z = new Uint8Array(deflateSync(inner.subarray(1)));
  const wire = bytes(131, 80, ...u32(inner.length - 1), ...z);
  assert.ok(termEquals(decodeTerm(wire), list(Array(1000).fill(atom("same")))));
  const frame = bytes(112, ...encodeTerm(tuple(2n, atom(""))), ...encodeTerm(atom("msg")));
  const first = decodeTermAt(frame, 1);
  assert.ok(termEquals(first.term, tuple(2n, atom(""))));
  assert.ok(termEquals(decodeTermAt(frame, first.end).term, atom("msg")));
});

Deno.test("malformed input is an EtfError naming the offset", () => {
  const cases: [number[], RegExp][] = [
    [[], /truncated/],
    [[130, 97, 1], /bad version byte 130/],
    [[131, 97], /truncated term at offset 2/],
    [[131, 200], /unknown tag 200 at offset 1/],
    [[131, 82, 0], /ATOM_CACHE_REF/],
    [[131, 121, 0], /LOCAL_EXT/],
    [[131, 108, 255, 255, 255, 255, 106], /count exceeds the remaining bytes/],
    [[131, 105, 0, 0, 0, 5, 97, 1], /count exceeds|truncated/],
    [[131, 97, 1, 97], /trailing bytes/],
    [[131, 88, 97, 1], /expected an atom/],
    [[131, 90, 0, 6, 119, 1, 97], /6 id words/],
    [[131, 110, 1, 2, 5], /sign/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => decodeTerm(new Uint8Array(input)), (e: Error) => {
      assert.ok(e instanceof EtfError, `${input}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
  assert.throws(() => encodeTerm({ t: "weird" } as never), /not an Erlang term/);
});

Deno.test("a list nested 200,000 deep encodes, decodes, compares and prints iteratively", () => {
  let deep: ErlTerm = NIL;
  for (let i = 0; i < 200_000; i++) deep = list([deep]);
  const wire = encodeTerm(deep);
  const back = decodeTerm(wire);
  assert.ok(termEquals(back, deep));
  assert.equal(formatErlTerm(back).length, 200_000 * 2 + 2);
  let tuples: ErlTerm = 1n;
  for (let i = 0; i < 200_000; i++) tuples = tuple(tuples);
  assert.ok(termEquals(decodeTerm(encodeTerm(tuples)), tuples));
});

Deno.test("formatErlTerm prints Erlang's way", () => {
  const me = "b@vm";
  const cases: [ErlTerm, string][] = [
    [pid(me, 85, 0, 3), "<0.85.0>"],
    [pid("a@vm", 85, 1, 3), "<a@vm.85.1>"],
    [ref(me, 3, [1, 2, 3]), "#Ref<0.3.2.1>"],
    [
      tuple(atom("ok"), atom("Hello"), atom("with space"), atom("it's"), atom("after")),
      "{ok,'Hello','with space','it\\'s','after'}",
    ],
    [list([1n, 2n], atom("t")), "[1,2|t]"],
    [charList("hi\n"), '"hi\\n"'],
    [list([1n, 2n]), "[1,2]"],
    [binary("abc"), '<<"abc">>'],
    [binary("héllo"), '<<"héllo"/utf8>>'],
    [binary(new Uint8Array([0, 255])), "<<0,255>>"],
    [map([[atom("a"), 1n], [binary("k"), NIL]]), '#{a => 1,<<"k">> => []}'],
    [-(1n << 70n), "-1180591620717411303424"],
  ];
  for (const [term, text] of cases) assert.equal(formatErlTerm(term, { localNode: me }), text);
  // The shortest-float rules of OTP 25, checked against io:format("~w") output.
  const floats: [number, string][] = [
    [1e21, "1.0e21"],
    [1e20, "1.0e20"],
    [123.456, "123.456"],
    [0.1, "0.1"],
    [1e-5, "1.0e-5"],
    [0.0001, "0.0001"],
    [1, "1.0"],
    [-0, "-0.0"],
    [5e-324, "5.0e-324"],
    [1000, "1.0e3"],
    [100, "100.0"],
    [1250, "1250.0"],
    [1.5e-4, "1.5e-4"],
    [0.0015, "0.0015"],
    [123456, "123456.0"],
    [9007199254740991, "9007199254740991.0"],
    [9007199254740992, "9.007199254740992e15"],
    [1.2345678901234568e17, "1.2345678901234568e17"],
  ];
  for (const [x, text] of floats) assert.equal(formatFloat(x), text, `${x}`);
});

function records(items: Uint8Array[]): Uint8Array {
  const total = items.reduce((n, b) => n + 4 + b.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of items) out.set(u32(b.length), at), out.set(b, at + 4), at += 4 + b.length;
  return out;
}
function splitRecords(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    const len = readU32(data, at);
    out.push(data.slice(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

Deno.test("property: Erlang decodes 300 random terms we encode to equal terms", async () => {
  const rng = new Rng(0x5eed_0001);
  const terms = Array.from({ length: 300 }, () => randomTerm(rng));
  const dir = await Deno.makeTempDir({ prefix: "ttvm_etf_" });
  try {
    await Deno.writeFile(`${dir}/in.bin`, records(terms.map(encodeTerm)));
    await runErl(`ttvm_peer:etf_echo("${dir}/in.bin", "${dir}/out.bin"), halt().`);
    const back = splitRecords(await Deno.readFile(`${dir}/out.bin`));
    assert.equal(back.length, terms.length);
    let sameBytes = 0;
    for (let i = 0; i < terms.length; i++) {
      assert.ok(back[i].length > 0, `Erlang refused term ${i}: ${formatErlTerm(terms[i])}`);
      const term = decodeTerm(back[i]);
      assert.ok(termEquals(term, terms[i]), `term ${i}: ${formatErlTerm(terms[i])}`);
      // Without maps of 2+ entries (whose order Erlang picks) the bytes are Erlang's too.
      if (!hasMultiEntryMap(terms[i])) {
        assert.deepEqual(back[i], encodeTerm(terms[i]), `bytes of term ${i}`);
        sameBytes++;
      }
    }
    assert.ok(sameBytes > 100);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("property: 300 random Erlang terms decode and re-encode byte for byte", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ttvm_etf_" });
  try {
    await runErl(`ttvm_peer:etf_gen(20261206, 300, "${dir}/gen.bin"), halt().`);
    const gen = splitRecords(await Deno.readFile(`${dir}/gen.bin`));
    assert.equal(gen.length, 300);
    const kinds = new Set<string>();
    const back = gen.map((wire, i) => {
      const term = decodeTerm(wire);
      for (const m of formatErlTerm(term).matchAll(/#Fun|#Port|#Ref|fun |<<[^>]*:\d>>|<\d/g)) {
        kinds.add(m[0].slice(0, 3));
      }
      const again = encodeTerm(term);
      assert.deepEqual(again, wire, `term ${i}: ${formatErlTerm(term).slice(0, 200)}`);
      return again;
    });
    assert.ok(kinds.size >= 5, `exotic kinds seen: ${[...kinds]}`);
    await Deno.writeFile(`${dir}/back.bin`, records(back));
    const verdict = await runErl(
      `ttvm_peer:etf_verify("${dir}/gen.bin", "${dir}/back.bin"), halt().`,
    );
    assert.equal(verdict.trim(), "verified 300");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Property-style stress test of the actor runtime: random actor programs (tests/proc/
 * actor_gen.ts) mixing spawn / send / receive / link / monitor / trap_exit / exit signals /
 * crashes / registry operations, run in-process (a share with stressGc: a collection and heap
 * verification on every allocation), each checked against the generator's model.
 *
 * A failing property prints the seed, the violations and the path of the generated program.
 */
import assert from "node:assert/strict";
import { generateProgram } from "./actor_gen.ts";
import { LinkModel, type LinkNode, MAIN_ID } from "./gen_model.ts";
import { Prng } from "./gen_prng.ts";
import { type Category, checkRun } from "./prop_check.ts";
import { memLevel } from "./prop_run.ts";
import { checkSeed, describeFailure, type SeedResult } from "./prop_seed.ts";

const SEED_COUNT = 48;
/** Every STRESS_EVERY-th seed runs with stressGc. */
const STRESS_EVERY = 4;

Deno.test("actor runtime properties hold on random programs", async (t) => {
  const results: SeedResult[] = [];
  for (let seed = 1; seed <= SEED_COUNT; seed++) {
    results.push(await checkSeed(seed, { stressGc: seed % STRESS_EVERY === 0 }));
  }
  const expectNone = (category: Category) => {
    const failed = results.filter((r) => r.violations.some((v) => v.category === category));
    for (const r of failed) console.error(describeFailure(r, category));
    assert.equal(failed.length, 0, `${failed.length} seed(s) violate "${category}" (see above)`);
  };

  await t.step("the programs are a real stress: hundreds of processes, all variants", () => {
    const procs = results.map((r) => r.gen.expected.procs.size);
    const mean = procs.reduce((a, b) => a + b, 0) / procs.length;
    assert.ok(mean >= 150, `mean processes per program ${mean}`);
    assert.ok(results.some((r) => r.gen.expected.variant === "leave"));
    assert.ok(results.some((r) => r.gen.expected.variant === "cleanup"));
    assert.ok(results.filter((r) => r.gen.stressGc).length >= SEED_COUNT / STRESS_EVERY);
    assert.ok(new Set(results.map((r) => r.gen.reductions)).size >= 3);
  });
  await t.step("every program runs to its end; stress-GC heap verification never fails", () => {
    expectNone("run");
  });
  await t.step(
    "every monitor gets exactly one DOWN naming its target; none after DEMONITOR",
    () => {
      expectNone("monitors");
    },
  );
  await t.step(
    "messages arrive exactly once, in per-sender order, after the sender's output",
    () => {
      expectNone("messages");
    },
  );
  await t.step(
    "links: abnormal exits kill non-trapping links with the same reason, trapping ones get " +
      "EXIT messages, normal exits kill nobody, kill becomes killed; crashes are reported",
    () => expectNone("links"),
  );
  await t.step(
    "exited processes free their table entry and names; only blocked ones remain",
    () => {
      expectNone("table");
    },
  );
  await t.step("after every process exited, memory is back to the level of a trivial run", () => {
    const checked = results.filter((r) =>
      r.gen.expected.variant === "cleanup" && r.run.vm.procs.table.live === 0
    );
    assert.ok(checked.length >= SEED_COUNT / 2, `memory checked on only ${checked.length} runs`);
    expectNone("memory");
  });
});

// ── the generator and the model ───────────────────────────────────────────────────────────

Deno.test("the same seed generates the same program and different seeds differ", () => {
  const a = generateProgram(7), b = generateProgram(7), c = generateProgram(8);
  assert.equal(a.source, b.source);
  assert.notEqual(a.source, c.source);
  assert.deepEqual([...a.expected.procs.keys()], [...b.expected.procs.keys()]);
});

Deno.test("the PRNG is deterministic per seed and stays in range", () => {
  const x = new Prng(42), y = new Prng(42);
  for (let i = 0; i < 1000; i++) {
    const n = x.below(10);
    assert.equal(n, y.below(10));
    assert.ok(n >= 0 && n < 10);
  }
  assert.notEqual(new Prng(1).nextU32(), new Prng(2).nextU32());
});

function node(id: number, trap: boolean, own: LinkNode["own"] = "halt"): [number, LinkNode] {
  return [id, { id, trap, own, name: `n${id}` }];
}

Deno.test("model: an abnormal exit kills non-trapping links with its reason, transitively", () => {
  // 1 - 2 - 3, nobody traps: 1 exits with r1 (exit_str).
  const m = new LinkModel(new Map([node(1, false, "exit_str"), node(2, false), node(3, false)]), [
    [1, 2],
    [2, 3],
  ]);
  m.apply({ target: 1, kind: "go" }, 1);
  assert.deepEqual([1, 2, 3].map((id) => m.fates.get(id)?.reason), ["r1", "r1", "r1"]);
  assert.equal(m.exitMessages.length, 0);
});

Deno.test("model: trapping links get an EXIT message and then exit their own way", () => {
  // 1 - 2(trap, exits normal) - 3: 3 survives because 2's exit is normal.
  const m = new LinkModel(new Map([node(1, false, "crash_div"), node(2, true), node(3, false)]), [
    [1, 2],
    [2, 3],
  ]);
  m.link(MAIN_ID, 2);
  m.apply({ target: 1, kind: "go" }, 1);
  assert.equal(m.fates.get(1)?.reason, "Division by zero");
  assert.equal(m.fates.get(1)?.crashed, true);
  assert.equal(m.fates.get(2)?.reason, "normal");
  assert.equal(m.fates.get(3), undefined);
  assert.deepEqual(m.exitMessages, [
    { owner: 2, from: 1, reason: "Division by zero" },
    { owner: MAIN_ID, from: 2, reason: "normal" },
  ]);
  assert.deepEqual(m.components(), [[3]]);
});

Deno.test("model: kill is untrappable and propagates as killed; normal signals are ignored", () => {
  const m = new LinkModel(new Map([node(1, true), node(2, false), node(3, true)]), [[1, 2], [
    2,
    3,
  ]]);
  m.apply({ target: 2, kind: "signal", reason: "normal", from: MAIN_ID }, 1);
  assert.equal(m.aliveNodes().length, 3);
  m.apply({ target: 1, kind: "signal", reason: "kill", from: MAIN_ID }, 2);
  assert.equal(m.fates.get(1)?.reason, "killed");
  assert.equal(m.fates.get(2)?.reason, "killed");
  assert.deepEqual(m.exitMessages, [{ owner: 3, from: 2, reason: "killed" }]);
  assert.equal(m.fates.get(3)?.reason, "normal");
});

Deno.test("model: racing kill and custom signals kill a calm component with either reason", () => {
  const m = new LinkModel(new Map([node(1, false), node(2, false), node(3, false)]), [
    [1, 2],
    [2, 3],
  ]);
  m.link(MAIN_ID, 3);
  m.applyRace(
    [
      { target: 1, kind: "signal", reason: "kill", from: MAIN_ID },
      { target: 3, kind: "signal", reason: "s3", from: MAIN_ID },
    ],
    [1, 2, 3],
    1,
  );
  assert.equal(m.aliveNodes().length, 0);
  for (const id of [1, 2, 3]) assert.deepEqual(m.fates.get(id)?.alternatives, ["killed", "s3"]);
  assert.deepEqual(m.exitMessages[0].alternatives, ["killed", "s3"]);
});

// ── the checker catches real faults (so a green run means something) ────────────────────────

async function passingRun(wantVariant: "cleanup" | "leave"): Promise<SeedResult> {
  for (let seed = 100;; seed++) {
    const r = await checkSeed(seed);
    if (r.gen.expected.variant === wantVariant && r.violations.length === 0) return r;
    if (seed > 140) throw new Error(`no clean ${wantVariant} run among seeds 100..140`);
  }
}

function categoriesAfter(r: SeedResult, edit: (lines: string[]) => string[]): Set<Category> {
  const stdout = edit(r.run.stdout.split("\n")).join("\n");
  return new Set(checkRun(r.gen, { ...r.run, stdout }, null).map((v) => v.category));
}

Deno.test("checker flags a lost, a duplicated and a reordered message", async () => {
  const r = await passingRun("cleanup");
  const g = (ls: string[]) => ls.findIndex((l) => l.startsWith("G|"));
  assert.ok(categoriesAfter(r, (ls) => ls.filter((_, i) => i !== g(ls))).has("messages"));
  assert.ok(
    categoriesAfter(r, (ls) => [...ls.slice(0, g(ls) + 1), ...ls.slice(g(ls))]).has("messages"),
  );
  const reorder = (ls: string[]) => {
    const gs = ls.map((l, i) => [l.split("|"), i] as const).filter(([f]) => f[0] === "G");
    for (const [a, i] of gs) {
      const later = gs.find(([b, j]) => j > i && b[1] === a[1] && b[2] === a[2]);
      if (later) {
        const out = ls.slice();
        [out[i], out[later[1]]] = [out[later[1]], out[i]];
        return out;
      }
    }
    throw new Error("no receiver got two messages from one sender");
  };
  assert.ok(categoriesAfter(r, reorder).has("messages"));
});

Deno.test("checker flags a duplicated DOWN, a wrong exit reason and a missing EXIT message", async () => {
  const r = await passingRun("cleanup");
  const d = (ls: string[]) => ls.findIndex((l) => l.startsWith("D|"));
  assert.ok(
    categoriesAfter(r, (ls) => [...ls.slice(0, d(ls) + 1), ...ls.slice(d(ls))]).has("monitors"),
  );
  const wrongReason = (ls: string[]) =>
    ls.map((l) => {
      const f = l.split("|");
      return f[0] === "D" && f[1] === "0" ? [...f.slice(0, 4), "bogus"].join("|") : l;
    });
  const cats = categoriesAfter(r, wrongReason);
  assert.ok(cats.has("links") || cats.has("monitors"));
  assert.ok(
    categoriesAfter(r, (ls) => ls.filter((l) => !l.startsWith("X|"))).has("links") ||
      r.gen.expected.exitMessages.length === 0,
  );
});

Deno.test("checker flags memory above the trivial level and a process that should be blocked", async () => {
  const r = await passingRun("cleanup");
  const level = memLevel(r.run.vm);
  const lower = { blocksLive: level.blocksLive - 1, bytesLive: level.bytesLive - 16 };
  const cats = checkRun(r.gen, r.run, lower).map((v) => v.category);
  assert.ok(cats.includes("memory"));
  const procs = new Map(r.gen.expected.procs);
  const victim = [...procs.values()].find((p) => p.role === "node")!;
  procs.set(victim.id, { ...victim, fate: null });
  const gen = { ...r.gen, expected: { ...r.gen.expected, procs } };
  assert.ok(checkRun(gen, r.run, null).some((v) => v.category === "table"));
});

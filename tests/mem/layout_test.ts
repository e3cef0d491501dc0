/**
 * The shared-memory header: every word has one owner, everything fits in the header, and the
 * words threads write often do not share a cache line with the words every worker reads on
 * every slice.
 */
import assert from "node:assert/strict";
import * as layout from "../../src/mem/layout.ts";

const LINE_WORDS = 64 / 4;

/** Every H_* word index, with the f64 epoch as its two i32 words and the free lists as a run. */
function headerWords(): Map<number, string> {
  const owners = new Map<number, string>();
  const claim = (word: number, name: string) => {
    assert.ok(!owners.has(word), `${name} and ${owners.get(word)} share word ${word}`);
    owners.set(word, name);
  };
  for (const [name, value] of Object.entries(layout)) {
    if (!name.startsWith("H_") || typeof value !== "number") continue;
    if (name === "H_EPOCH_F64") {
      claim(value * 2, name);
      claim(value * 2 + 1, name);
    } else if (name === "H_FREE_LISTS") {
      for (let k = 0; k < layout.SIZE_CLASSES; k++) claim(value + k, `${name}+${k}`);
    } else {
      claim(value, name);
    }
  }
  return owners;
}

Deno.test("header words are distinct and lie inside the header", () => {
  const owners = headerWords();
  assert.ok(owners.size > 30, `only ${owners.size} header words found`);
  for (const [word, name] of owners) {
    assert.ok(word >= 0 && word < layout.HEADER_WORDS, `${name} at word ${word}`);
  }
  assert.equal(layout.HEADER_WORDS % layout.CELL_WORDS, 0);
});

Deno.test("often-written header words share no cache line with per-slice reads", () => {
  const line = (word: number) => Math.floor(word / LINE_WORDS);
  const readEverySlice = [layout.H_GENERATION, layout.H_HALT];
  const writtenOften = [
    layout.H_ALLOC_LOCK,
    layout.H_NEXT_PID,
    layout.H_MESSAGES,
    layout.H_ACTIVE,
    layout.H_SLEEPERS,
    layout.H_WAKE_SEQ,
    layout.H_NEXT_REF,
  ];
  for (const hot of writtenOften) {
    for (const read of readEverySlice) assert.notEqual(line(hot), line(read));
  }
  // Counters bumped by different activities (allocation, spawning, messaging, scheduling)
  // each have their own line.
  const lines = [layout.H_ALLOC_LOCK, layout.H_NEXT_PID, layout.H_MESSAGES, layout.H_ACTIVE]
    .map(line);
  assert.equal(new Set(lines).size, lines.length);
});

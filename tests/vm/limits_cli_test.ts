/**
 * Resource limits fail a process, never the VM (LANGUAGE.md §2), on the single scheduler and on
 * two workers: a fork bomb meets `Process limit reached` (catchable), a mailbox flood ends its
 * victim with `Heap limit exceeded`, a process that takes the VM's memory ends with
 * `Out of memory` — and in each case the rest of the program goes on and reports it, with no
 * JavaScript stack trace anywhere.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

async function ttvm(args: string[], source: string) {
  const path = await Deno.makeTempFile({ prefix: "ttvm_limit_", suffix: ".ttvm" });
  await Deno.writeTextFile(path, source);
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", ...args, path],
      cwd: ROOT,
      // A hung run is killed (and fails its assertions) rather than hanging the suite.
      signal: AbortSignal.timeout(60_000),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(path);
  }
}

function noHostTrace(stderr: string): void {
  assert.ok(!/RangeError|TypeError|Uncaught|\bat .*\.ts:\d+/.test(stderr), stderr.slice(0, 2000));
}

/** Every process spawns two more and ends: the population doubles until the limit. The first
 *  process that cannot spawn reports the catchable error and the run stops. */
const FORK_BOMB = `
REGISTER main
PUSH_STR "bomb"
SPAWN
POP
RECEIVE
PRINT
PUSH_STR "the VM is still running"
PRINT
PUSH_INT 0
EXIT
LABEL bomb
TRY failed
PUSH_STR "bomb"
SPAWN
POP
PUSH_STR "bomb"
SPAWN
POP
END_TRY
HALT
LABEL failed
CATCH
TO_STR
PUSH_STR "\\n"
SPLIT
PUSH_INT 0
INDEX
SENDNAMED main
`;

/** A flooder sends 64 KiB messages to a sink that never receives: the sink ends when its
 *  unreceived messages pass its memory limit; main hears it through a monitor. */
const MAILBOX_FLOOD = `
PUSH_STR "sink"
SPAWN_MONITOR
STORE ref
STORE sink
LOAD sink
MAKE_FUNCTION flooder target
SPAWN
STORE flooder
MAKE_OBJECT
PUSH_STR "DOWN"
SET_FIELD type
RECEIVE_MATCH
GET_FIELD reason
PUSH_STR "sink ended: "
SWAP
CONCAT
PRINT
LOAD flooder
PUSH_STR "kill"
EXIT_SIGNAL
PUSH_STR "main goes on"
PRINT
HALT
LABEL sink
PUSH_INT 100000
SLEEP
JMP sink
LABEL flooder
PUSH_STR "0123456789abcdef"
STORE s
PUSH_INT 12
STORE n
LABEL widen
LOAD s
LOAD s
CONCAT
STORE s
LOAD n
PUSH_INT 1
SUB
DUP
STORE n
JZ flood
JMP widen
LABEL flood
LOAD target
LOAD s
SEND
JMP flood
`;

/** A process keeps every 1 MiB string it makes until the VM's memory runs out. */
const MEMORY_HOG = `
PUSH_STR "hog"
SPAWN_MONITOR
POP
POP
MAKE_OBJECT
PUSH_STR "DOWN"
SET_FIELD type
RECEIVE_MATCH
GET_FIELD reason
PUSH_STR "hog ended: "
SWAP
CONCAT
PRINT
PUSH_STR "hello from a new process"
MAKE_FUNCTION greeter msg
SPAWN
POP
HALT
LABEL greeter
LOAD msg
PRINT
HALT
LABEL hog
PUSH_STR "0123456789abcdef"
STORE s
PUSH_INT 16
STORE n
LABEL widen
LOAD s
LOAD s
CONCAT
STORE s
LOAD n
PUSH_INT 1
SUB
DUP
STORE n
JZ keep
JMP widen
LABEL keep
MAKE_LIST 0
STORE kept
LABEL grow
LOAD kept
LOAD s
PUSH_STR "x"
CONCAT
APPEND
STORE kept
JMP grow
`;

for (const mode of [[], ["--smp=2"]]) {
  const name = mode.length ? mode[0] : "single";

  Deno.test(`${name}: a fork bomb meets the catchable 'Process limit reached'`, async () => {
    const r = await ttvm([...mode, "--max-processes", "2000"], FORK_BOMB);
    assert.equal(r.stdout, "Exception: Process limit reached\nthe VM is still running\n");
    assert.equal(r.code, 0, r.stderr);
    noHostTrace(r.stderr);
  });

  Deno.test(`${name}: a mailbox flood ends its victim with 'Heap limit exceeded'`, async () => {
    const r = await ttvm([...mode, "--max-heap-mb", "16"], MAILBOX_FLOOD);
    assert.equal(r.stdout, "sink ended: Heap limit exceeded\nmain goes on\n");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Process 2 crashed: Heap limit exceeded \(.*:\d+\)$/m);
    noHostTrace(r.stderr);
  });

  Deno.test(`${name}: a process that takes the VM's memory ends with 'Out of memory'`, async () => {
    const r = await ttvm([...mode, "--max-memory-mb", "300"], MEMORY_HOG);
    assert.equal(r.stdout, "hog ended: Out of memory\nhello from a new process\n");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Process 2 crashed: Out of memory \(.*:\d+\)$/m);
    noHostTrace(r.stderr);
  });
}

Deno.test("limit options reject values out of range with a usage error", async () => {
  const r = await ttvm(["--max-heap-mb", "0"], "HALT\n");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^Error: invalid value '0' for --max-heap-mb/);
});

/** A parser of untrusted JSON: every object has a key never seen before, and each key becomes an
 *  atom. The table stops at --max-atoms with a catchable error; known keys still parse. */
const ATOM_FLOOD = `
PUSH_INT 0
STORE i
TRY full
LABEL loop
PUSH_STR "{\\"key"
LOAD i
TO_STR
CONCAT
PUSH_STR "\\": 1}"
CONCAT
JSON_PARSE
POP
LOAD i
PUSH_INT 1
ADD
STORE i
JMP loop
LABEL full
CATCH
TO_STR
PUSH_STR "\\n"
SPLIT
PUSH_INT 0
INDEX
PRINT
LOAD i
PUSH_INT 4000
GT
PRINT
PUSH_STR "{\\"key7\\": 2}"
JSON_PARSE
GET_FIELD key7
PRINT
HALT
`;

for (const mode of [[], ["--smp=2"]]) {
  const name = mode.length ? mode[0] : "single";
  Deno.test(`${name}: new atoms beyond --max-atoms raise the catchable 'Atom table full'`, async () => {
    const r = await ttvm([...mode, "--max-atoms", "5000"], ATOM_FLOOD);
    assert.equal(r.stdout, "Exception: Atom table full\n1\n2\n");
    assert.equal(r.code, 0, r.stderr);
    noHostTrace(r.stderr);
  });
}

/**
 * The TypeScript API: spawning at labels with arguments, JS ⇄ VM value conversion both ways,
 * the registry, the host mailbox as an async iterator, and run summaries.
 */
import assert from "node:assert/strict";
import { ActorVm } from "../../mod.ts";

const ECHO = `
; echo: args on the stack: reply pid; sends back every message it receives, wrapped
LABEL echo
STORE reply
LABEL loop
RECEIVE
STORE m
LOAD reply
MAKE_OBJECT
LOAD m
SET_FIELD echo
SEND
JMP loop

LABEL adder
ADD
STORE sum
LOAD sum
PRINT
`;

Deno.test("values survive the round trip JS → VM → JS", async () => {
  const vm = ActorVm.fromSource(ECHO, "echo.ttvm", { stdout: () => {} });
  const echo = vm.spawn("echo", vm.host.pid);
  const values = [
    0,
    -1,
    2 ** 53 + 2,
    9223372036854775807n,
    -9223372036854775808n,
    1.5,
    -0.25,
    "héllo ✓",
    true,
    false,
    null,
    [1, [2, "x"], []],
    { a: 1, b: { c: [true] } },
    new Uint8Array([1, 2, 255]),
  ];
  for (const v of values) vm.send(echo, v);
  const done = vm.run();
  const got = [];
  for await (const m of vm.host) got.push(m);
  await done;
  // Numbers beyond 2^53 are not exact integers in JS: they travel as Floats and come back equal.
  assert.deepEqual(got, values.map((v) => ({ echo: v })));
});

Deno.test("spawn passes arguments; PRINT output goes to the stdout callback", async () => {
  let out = "";
  const vm = ActorVm.fromSource(ECHO, "echo.ttvm", { stdout: (t) => (out += t) });
  vm.spawn("adder", 40, 2);
  const summary = await vm.run();
  assert.equal(out, "42\n");
  assert.equal(summary.processesSpawned, 1);
  assert.equal(summary.processesAlive, 0);
});

Deno.test("registry: register, whereis, sendNamed, unregister", async () => {
  const vm = ActorVm.fromSource(ECHO, "echo.ttvm", { stdout: () => {} });
  const echo = vm.spawn("echo", vm.host.pid);
  vm.register("echo", echo);
  assert.equal(vm.whereis("echo"), echo);
  assert.throws(() => vm.register("echo", echo), /Name already registered: echo/);
  vm.sendNamed("echo", "hi");
  await vm.run();
  assert.deepEqual(vm.host.tryReceive(), { echo: "hi" });
  vm.unregister("echo");
  assert.equal(vm.whereis("echo"), 0);
  assert.throws(() => vm.sendNamed("echo", 1), /No process registered as echo/);
  assert.throws(() => vm.unregister("echo"), /Name not registered: echo/);
});

Deno.test("a name registered through the API is freed when its process exits", async () => {
  const vm = ActorVm.fromSource(ECHO, "echo.ttvm", { stdout: () => {} });
  const adder = vm.spawn("adder", 1, 2); // ends at once when it runs
  vm.register("adder", adder);
  assert.equal(vm.whereis("adder"), adder);
  await vm.run();
  assert.equal(vm.isAlive(adder), false);
  assert.equal(vm.whereis("adder"), 0);
  // A name registered for a process that already ended is not kept either.
  const echo = vm.spawn("echo", vm.host.pid);
  vm.register("late", echo);
  vm.send(echo, "x");
  await vm.run();
  assert.equal(vm.whereis("late"), echo); // still alive: it waits for more
});

Deno.test("a circular JavaScript value is refused with a clear error", () => {
  const vm = ActorVm.fromSource(ECHO, "echo.ttvm", { stdout: () => {} });
  const echo = vm.spawn("echo", vm.host.pid);
  const loop: Record<string, unknown> = { a: 1 };
  loop.self = loop;
  assert.throws(() => vm.send(echo, loop as never), /circular/i);
  const list: unknown[] = [1];
  list.push(list);
  assert.throws(() => vm.send(echo, list as never), /circular/i);
});

Deno.test("the mailbox iterator ends when the VM is idle", async () => {
  const vm = ActorVm.fromSource(ECHO, "echo.ttvm", { stdout: () => {} });
  vm.spawn("adder", 1, 2);
  const done = vm.run();
  const got = [];
  for await (const m of vm.host) got.push(m);
  assert.deepEqual(got, []);
  assert.equal((await done).processesAlive, 0);
});

Deno.test("unknown labels and unsendable values are clear errors", () => {
  const vm = ActorVm.fromSource(ECHO, "echo.ttvm", { stdout: () => {} });
  assert.throws(() => vm.spawn("nope"), /Unknown process entry: nope/);
  assert.throws(() => vm.send(1, (() => 1) as never), /cannot send/);
  assert.throws(() => vm.send(1, 2n ** 64n), /does not fit in 64 bits/);
});

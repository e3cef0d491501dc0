/**
 * EPMD: the client against Erlang's real `epmd` and against the embedded server (the same
 * assertions for both), a real `erl` registering with the embedded server (and Erlang's own
 * `epmd -names` reading it), and each of ensureEpmd's three outcomes.
 */
import assert from "node:assert/strict";
import {
  ensureEpmd,
  epmdAnswers,
  epmdNames,
  epmdPortPlease,
  epmdRegister,
} from "../../src/dist/epmd.ts";
import { EpmdServer } from "../../src/dist/epmd_server.ts";
import { ErlNode, freePort, RealEpmd, requireErlang, uniqueName } from "./erl_harness.ts";

async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function clientContract(port: number) {
  const name = uniqueName("reg");
  const reg = await epmdRegister({ name, listenPort: 12345, port });
  try {
    assert.ok(reg.creation > 0, "a registration gets a non-zero creation");
    const info = await epmdPortPlease(name, { port });
    assert.ok(info);
    assert.equal(info.port, 12345);
    assert.equal(info.name, name);
    assert.equal(info.nodeType, 77);
    assert.equal(info.highestVersion, 6);
    assert.equal(info.lowestVersion, 6);
    const { epmdPort, names } = await epmdNames({ port });
    assert.equal(epmdPort, port);
    assert.ok(names.some((n) => n.name === name && n.port === 12345), JSON.stringify(names));
    await assert.rejects(epmdRegister({ name, listenPort: 1, port }), /refused to register/);
    assert.equal(await epmdPortPlease(uniqueName("nobody"), { port }), null);
  } finally {
    await reg.close();
  }
  // The registration ends with its connection.
  await eventually(async () => (await epmdPortPlease(name, { port })) === null, "unregister");
  const again = await epmdRegister({ name, listenPort: 12346, port });
  assert.notEqual(again.creation, reg.creation, "a new incarnation gets a new creation");
  await again.close();
}

Deno.test("EPMD client against Erlang's epmd", async () => {
  const epmd = await RealEpmd.start();
  try {
    await clientContract(epmd.port);
  } finally {
    await epmd.stop();
  }
});

Deno.test("EPMD client against the embedded server", async () => {
  const server = EpmdServer.start({ port: 0, hostname: "127.0.0.1" });
  try {
    await clientContract(server.port);
  } finally {
    await server.close();
  }
  assert.equal(await epmdAnswers({ port: server.port }), false);
});

Deno.test("a real erl registers with the embedded server; epmd -names reads it", async () => {
  requireErlang();
  const server = EpmdServer.start({ port: freePort(), hostname: "127.0.0.1" });
  const alive = uniqueName("erl");
  const erl = await ErlNode.start({
    alive,
    cookie: "c",
    epmdPort: server.port,
    eval: 'io:format("up~n"), receive after infinity -> ok end.',
  });
  try {
    await erl.waitForLine(/^up$/);
    const info = await epmdPortPlease(alive, { port: server.port });
    assert.ok(info && info.port > 0);
    assert.equal(info.highestVersion, 6);
    assert.ok(server.names().some((n) => n.name === alive && n.creation > 0));
    const out = await new Deno.Command("epmd", {
      args: ["-port", String(server.port), "-names"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, new RegExp(`epmd: up and running on port ${server.port}`));
    assert.match(text, new RegExp(`name ${alive} at port ${info.port}`));
  } finally {
    await erl.stop();
  }
  await eventually(() => !server.names().some((n) => n.name === alive), "erl unregistered");
  await server.close();
});

Deno.test("ensureEpmd uses a running EPMD", async () => {
  const epmd = await RealEpmd.start();
  try {
    const handle = await ensureEpmd(epmd.port);
    assert.equal(handle.kind, "existing");
    await handle.release();
    assert.ok(await epmdAnswers({ port: epmd.port }), "releasing does not stop someone else's");
  } finally {
    await epmd.stop();
  }
});

Deno.test("ensureEpmd starts the installed epmd as a daemon", async () => {
  requireErlang();
  const port = freePort();
  // A loaded machine may take seconds to start epmd; past the wait it would fall back to
  // the embedded one and the test would fail for the wrong reason.
  const handle = await ensureEpmd(port, { startTimeoutMs: 30_000 });
  try {
    assert.equal(handle.kind, "spawned");
    const reg = await epmdRegister({ name: uniqueName("d"), listenPort: 999, port });
    assert.ok(reg.creation > 0);
    await reg.close();
  } finally {
    await handle.release();
    // The daemon outlives its starter, as Erlang's does; this test stops it.
    await new Deno.Command("epmd", { args: ["-port", String(port), "-kill"], stdout: "null" })
      .output();
    await eventually(async () => !(await epmdAnswers({ port })), "epmd -kill");
  }
});

Deno.test("ensureEpmd serves in process when no epmd can be started, shared by users", async () => {
  const port = freePort();
  const first = await ensureEpmd(port, {
    epmdCommand: "/nonexistent/epmd",
    listenHostname: "127.0.0.1",
  });
  const second = await ensureEpmd(port, { epmdCommand: null });
  assert.equal(first.kind, "embedded");
  assert.equal(second.kind, "embedded");
  const reg = await epmdRegister({ name: uniqueName("e"), listenPort: 4242, port });
  await first.release();
  assert.ok(await epmdAnswers({ port }), "still served while another user holds it");
  await reg.close();
  await second.release();
  assert.equal(await epmdAnswers({ port }), false, "the last release closes it");
});

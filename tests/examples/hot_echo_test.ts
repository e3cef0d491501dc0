/**
 * examples/ports/hot_echo.ttvm under `--reload` (LANGUAGE.md §9): clients stay connected while
 * the handler module is edited twice (new code, then new code again, which purges the first
 * version) and once broken; each connection keeps being answered — by the new handler after
 * each load, by the last good one after the broken edit — and none is dropped. The example is
 * copied into a temporary directory so the test edits the copy. Single scheduler and 2 workers.
 */
import assert from "node:assert/strict";
import { LineClient, ROOT, TtvmProcess, WAIT_MS } from "./ports_lib.ts";
import { saveAtomically } from "../save_file.ts";

const handler = (body: string) =>
  `JMP main
LABEL handle
${body}
RET
LABEL main
MAKE_FUNCTION handle line
STORE handle
EXPORT handle
HALT
`;
const V2 = handler(`PUSH_STR "v2: "\nLOAD line\nUPPER\nCONCAT`);
const V3 = handler(`LOAD line\nPUSH_STR " (v3)"\nCONCAT`);
const BROKEN = handler(`PUSH_STR "v4: "\nLOAD line\nUPPERCASE\nCONCAT`);

async function ask(client: LineClient, line: string): Promise<string | null> {
  await client.send(`${line}\n`);
  return await client.readLine();
}

/** Sends `line` until the answer is `want` (bounded); every answer on the way must be one of
 *  `allowed` (the old version's, while the load is on its way). */
async function askUntil(client: LineClient, line: string, want: string, allowed: string[]) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const got = await ask(client, line);
    if (got === want) return;
    assert.ok(got !== null && allowed.includes(got), `${client.name} got ${JSON.stringify(got)}`);
    assert.ok(Date.now() < deadline, `${client.name} never got ${want}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const flags of [[], ["--smp=2"]]) {
  Deno.test({
    name: `hot_echo [${
      flags.join(" ") || "single"
    }]: handler edits reach live connections, none dropped`,
    sanitizeResources: false,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "ttvm_hot_echo_" });
      for (const f of ["hot_echo.ttvm", "hot_echo_handler.ttvm"]) {
        await Deno.copyFile(`${ROOT}examples/ports/${f}`, `${dir}/${f}`);
      }
      const handlerPath = `${dir}/hot_echo_handler.ttvm`;
      const server = new TtvmProcess(["--reload", ...flags, `${dir}/hot_echo.ttvm`, "0"]);
      const clients: LineClient[] = [];
      try {
        const port = await server.port("hot_echo listening on");
        for (const name of ["a", "b", "c"]) {
          const c = await LineClient.connect(port, name);
          clients.push(c);
          assert.equal(await ask(c, `hello ${name}`), `echo: hello ${name}`);
        }
        const [a, b, c] = clients;

        await saveAtomically(handlerPath, V2);
        await askUntil(a, "ping", "v2: PING", ["echo: ping"]);
        await server.waitFor(/ttvm: reloaded .*hot_echo_handler\.ttvm/, "stderr");
        assert.equal(await ask(b, "bee"), "v2: BEE");
        assert.equal(await ask(c, "sea"), "v2: SEA");

        // A third version purges the first: no client process runs it, none is killed.
        await saveAtomically(handlerPath, V3);
        await askUntil(b, "pong", "pong (v3)", ["v2: PONG"]);
        assert.equal(await ask(a, "x"), "x (v3)");
        assert.equal(await ask(c, "y"), "y (v3)");

        // A broken edit is reported; the last good version keeps answering.
        await saveAtomically(handlerPath, BROKEN);
        await server.waitFor(/unknown instruction 'UPPERCASE'/, "stderr");
        for (const client of clients) {
          assert.equal(await ask(client, "still"), "still (v3)");
        }
        // and a new connection gets the current version too
        const d = await LineClient.connect(port, "d");
        clients.push(d);
        assert.equal(await ask(d, "new"), "new (v3)");
        assert.ok(await server.alive(), "the server is still running");
        assert.doesNotMatch(server.err, /crashed|killed/);
      } finally {
        for (const client of clients) client.close();
        await server.kill();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

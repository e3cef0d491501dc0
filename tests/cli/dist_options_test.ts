/**
 * The distribution options of the command line (LANGUAGE.md §8): --sname, --name, --cookie and
 * ERL_EPMD_PORT are checked with clear usage errors; a node name already registered is refused
 * with `Error: cannot start node …` (status 1); without --cookie the node uses
 * `$HOME/.erlang.cookie`, creating it (mode 0400) as Erlang does.
 */
import assert from "node:assert/strict";
import { SHORT_HOST, uniqueName } from "../dist/erl_harness.ts";
import { freePort, MAIN, TtvmNode } from "../cluster/harness.ts";

const HELLO = new URL("../../examples/hello.ttvm", import.meta.url).pathname;

async function ttvm(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bad distribution options are usage errors (status 2)", async () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [["--sname", "a", "--name", "a@h"], {}, /--sname and --name cannot be used together/],
    [["--cookie", "c"], {}, /--cookie needs --sname or --name/],
    [["--sname", "a b"], {}, /invalid value 'a b' for --sname: expected a node name/],
    [["--sname", "a@h.example"], {}, /a short name's host has no dots \(use --name\)/],
    [["--name", "a@"], {}, /invalid value 'a@' for --name: expected NAME or NAME@HOST/],
    [["--sname", "a"], { ERL_EPMD_PORT: "70000" }, /invalid ERL_EPMD_PORT '70000'/],
  ];
  for (const [args, env, message] of cases) {
    const r = await ttvm([...args, HELLO], env);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  }
});

Deno.test("a node name in use is refused; a free one runs the program", async () => {
  const epmdPort = freePort();
  const name = uniqueName("taken");
  const holder = TtvmNode.start({
    program: new URL("../../bench/programs/dist/pong.ttvm", import.meta.url).pathname,
    name,
    cookie: "c",
    epmdPort,
    embeddedEpmd: true,
  });
  try {
    await holder.waitForLine(/^ready$/);
    const env = { ERL_EPMD_PORT: String(epmdPort), TTVM_EPMD_EMBEDDED: "1" };
    const refused = await ttvm(["--sname", name, "--cookie", "c", HELLO], env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(
      refused.stderr,
      `Error: cannot start node ${name}@${SHORT_HOST}: the name is in use by another node (EPMD refused it)\n`,
    );
    const other = await ttvm(["--sname", uniqueName("free"), "--cookie", "c", HELLO], env);
    assert.equal(other.code, 0, other.stderr);
    assert.equal(other.stdout, "Hello, world!\n");
  } finally {
    await holder.stop();
  }
});

Deno.test("without --cookie the node uses $HOME/.erlang.cookie, created with mode 0400", async () => {
  const home = await Deno.makeTempDir();
  try {
    const env = {
      HOME: home,
      ERL_EPMD_PORT: String(freePort()),
      TTVM_EPMD_EMBEDDED: "1",
    };
    const r = await ttvm(["--sname", uniqueName("home"), HELLO], env);
    assert.equal(r.code, 0, r.stderr);
    const info = await Deno.stat(`${home}/.erlang.cookie`);
    assert.equal(info.mode! & 0o777, 0o400);
    assert.match(await Deno.readTextFile(`${home}/.erlang.cookie`), /^[A-Z]{20}$/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

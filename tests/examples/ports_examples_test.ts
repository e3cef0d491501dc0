/**
 * The example programs of examples/ports/ are real servers and clients: these tests start them
 * through the CLI as subprocesses — on one scheduler and on 2 and 4 SMP workers — and talk to
 * them over 127.0.0.1 the way any client would (TCP lines, HTTP), asserting what they do:
 *
 * - chat_server: who gets which line, in which order (never echoed to the sender), nick
 *   clashes, join and leave notices, a client process that crashes is reported and the room
 *   keeps serving, /quit and an abrupt disconnect;
 * - notes_api: every route's status and JSON body, concurrent inserts, a crashing handler
 *   answered 503 by the runtime, a crashed db process restarted by the supervisor (the file
 *   database keeps its notes, the listener never stops);
 * - crawler against site: the exact summary, every URL fetched once (the site counts its
 *   requests), and the site's own count of requests in progress at once never above the
 *   crawler's limit (and above 1 when the limit allows it: the fetches really overlap).
 *
 * Every wait is bounded and waits for something to appear (a line, an answer); every child
 * process is killed in `finally`.
 *
 * Known failure: the crawler tests on --smp=2 and --smp=4 fail (the crawler hangs, or the port
 * driver dies with "internal error: bad tag … in cell …") until the runtime's collector stops
 * writing past its to-space — see known_runtime_bugs_test.ts; with that fixed they pass.
 */
import assert from "node:assert/strict";
import { http, LineClient, MODES, TtvmProcess } from "./ports_lib.ts";

const CHAT = "examples/ports/chat_server.ttvm";
const NOTES = "examples/ports/notes_api.ttvm";
const CRAWLER = "examples/ports/crawler.ttvm";
const SITE = "examples/ports/site.ttvm";
const PROMPT = "* welcome to ttvm chat, send your nick";

/** Connects, reads the prompt, sends the nick and checks the welcome line. */
async function join(port: number, nick: string, online: string[]): Promise<LineClient> {
  const client = await LineClient.connect(port, nick);
  await client.expect(PROMPT);
  await client.send(`${nick}\n`);
  await client.expect(`* welcome ${nick}; online: ${online.join(", ")}`);
  return client;
}

for (const mode of MODES) {
  Deno.test({
    name:
      `chat_server [${mode.name}]: lines reach the others in order; a crashed client is reported and the room keeps serving`,
    sanitizeResources: false,
    async fn() {
      const server = new TtvmProcess([...mode.flags, CHAT, "0"]);
      const clients: LineClient[] = [];
      try {
        const port = await server.port("chat listening on");
        const alice = await join(port, "alice", ["alice"]);
        clients.push(alice);

        // a taken nick is refused and the next line is read as the nick ("\r\n" is accepted)
        const bob = await LineClient.connect(port, "bob");
        clients.push(bob);
        await bob.expect(PROMPT);
        await bob.send("alice\r\n");
        await bob.expect("* nick alice is taken, try another");
        await bob.send("   \n");
        await bob.expect("* a nick has 1 to 32 characters, try another");
        await bob.send("bob\n");
        await bob.expect("* welcome bob; online: alice, bob");
        await alice.expect("* bob joined");

        // several lines in one write, and a line split across writes, arrive in order
        await alice.send("hi bob\nsecond line\npar");
        await bob.expect("alice: hi bob", "alice: second line");
        await alice.send("tial line\n");
        await bob.expect("alice: partial line");
        // multi-byte text; alice's own lines were never echoed back to her
        await bob.send("héllo wörld 👋\n");
        await alice.expect("bob: héllo wörld 👋");

        const carol = await join(port, "carol", ["alice", "bob", "carol"]);
        clients.push(carol);
        await alice.expect("* carol joined");
        await bob.expect("* carol joined");

        // carol's process crashes: the others are told, her socket is closed by the runtime
        await carol.send("/crash\n");
        await alice.expect("* carol left (crashed: Division by zero)");
        await bob.expect("* carol left (crashed: Division by zero)");
        await carol.expectEnd();
        await server.waitFor(
          /^Process \d+ crashed: Division by zero \(.*chat_server\.ttvm:\d+\)$/m,
          "stderr",
        );

        // the room survived: lines still flow, and carol is no longer a member
        await bob.send("still here?\n");
        await alice.expect("bob: still here?");
        const dave = await join(port, "dave", ["alice", "bob", "dave"]);
        clients.push(dave);
        await alice.expect("* dave joined");
        await bob.expect("* dave joined");

        // every member sees the room's lines in the same order
        await alice.send("one\n");
        await bob.send("two\n");
        const fromAlice = await dave.readLine(), fromBob = await dave.readLine();
        assert.deepEqual(new Set([fromAlice, fromBob]), new Set(["alice: one", "bob: two"]));
        await bob.expect("alice: one");
        await alice.expect("bob: two");

        // /quit: a goodbye, the server closes, the others are told
        await bob.send("/quit\n");
        await bob.expect("* bye");
        await bob.expectEnd();
        await alice.expect("* bob left");
        await dave.expect("* bob left");

        // an abrupt disconnect is a leave too
        dave.close();
        await alice.expect("* dave left");

        // the server's own log, one line per join and leave, in order
        await server.waitFor(/room: dave left; 1 online/);
        const log = server.out.split("\n").filter((l) => l.startsWith("room: "));
        assert.deepEqual(log, [
          "room: alice joined; 1 online",
          "room: bob joined; 2 online",
          "room: carol joined; 3 online",
          "room: carol left (crashed: Division by zero); 2 online",
          "room: dave joined; 3 online",
          "room: bob left; 2 online",
          "room: dave left; 1 online",
        ]);
        assert.ok(await server.alive(), "the chat server ended");
        assert.match(server.out, /^chat listening on \d+\n/);
      } finally {
        for (const c of clients) c.close();
        await server.kill();
      }
    },
  });

  Deno.test({
    name:
      `notes_api [${mode.name}]: routes, statuses and JSON bodies; 503 for a crashed handler; the db restarts under its supervisor`,
    sanitizeResources: false,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "ttvm_notes_" });
      const server = new TtvmProcess([...mode.flags, NOTES, "0", `${dir}/notes.db`]);
      try {
        const port = await server.port("notes api listening on");
        const call = (method: string, path: string, body?: string) =>
          http(port, method, path, body);

        let r = await call("GET", "/notes");
        assert.equal(r.status, 200);
        assert.equal(r.headers.get("content-type"), "application/json");
        assert.deepEqual(r.json, []);

        r = await call("POST", "/notes", JSON.stringify({ title: "first", body: "hello" }));
        assert.equal(r.status, 201);
        assert.deepEqual(r.json, { id: 1, title: "first", body: "hello" });
        assert.equal(r.headers.get("location"), "/notes/1");
        r = await call("POST", "/notes", JSON.stringify({ title: "sécond ✓" }));
        assert.equal(r.status, 201);
        assert.deepEqual(r.json, { id: 2, title: "sécond ✓", body: "" });

        // bad input: 400 with a JSON error body
        r = await call("POST", "/notes", "{bad");
        assert.equal(r.status, 400);
        assert.deepEqual(r.json, {
          error: "invalid JSON at line 1, column 2: unexpected character 'b'",
        });
        for (
          const [body, error] of [
            ["[1]", "a note is a JSON object"],
            ['{"title": ""}', "title must be a non-empty string"],
            ['{"body": "no title"}', "title must be a non-empty string"],
            ['{"title": "x", "body": 3}', "body must be a string"],
          ]
        ) {
          r = await call("POST", "/notes", body);
          assert.equal(r.status, 400, body);
          assert.deepEqual(r.json, { error }, body);
        }

        r = await call("GET", "/notes/1");
        assert.equal(r.status, 200);
        assert.deepEqual(r.json, { id: 1, title: "first", body: "hello" });
        r = await call("GET", "/notes/99");
        assert.equal(r.status, 404);
        assert.deepEqual(r.json, { error: "no note 99" });
        r = await call("GET", "/notes/abc");
        assert.equal(r.status, 400);
        assert.deepEqual(r.json, { error: "a note id is an integer, not abc" });
        r = await call("DELETE", "/notes/2");
        assert.equal(r.status, 204);
        assert.equal(r.text, "");
        r = await call("DELETE", "/notes/2");
        assert.equal(r.status, 404);
        assert.deepEqual(r.json, { error: "no note 2" });
        r = await call("PUT", "/notes");
        assert.equal(r.status, 405);
        assert.equal(r.headers.get("allow"), "GET, POST");
        assert.deepEqual(r.json, { error: "method PUT not allowed on /notes" });
        r = await call("GET", "/nowhere");
        assert.equal(r.status, 404);
        assert.deepEqual(r.json, { error: "no route for GET /nowhere" });

        // one handler process per request: 20 inserts at once, each gets its own id
        const titles = Array.from({ length: 20 }, (_, k) => `parallel ${k}`);
        const created = await Promise.all(
          titles.map((title) => call("POST", "/notes", JSON.stringify({ title }))),
        );
        assert.deepEqual(created.map((c) => c.status), titles.map(() => 201));
        const ids = created.map((c) => (c.json as { id: number }).id);
        assert.equal(new Set(ids).size, 20);
        r = await call("GET", "/notes");
        const listed = r.json as Array<{ id: number; title: string }>;
        assert.deepEqual(listed.map((n) => n.title).sort(), ["first", ...titles].sort());
        assert.deepEqual(
          listed.map((n) => n.id),
          [...listed.map((n) => n.id)].sort((a, b) => a - b),
        );

        // a handler that crashes holding its request: the runtime answers 503
        r = await call("GET", "/debug/crash");
        assert.equal(r.status, 503);
        await server.waitFor(/^Process \d+ crashed: handler crash requested /m, "stderr");
        r = await call("GET", "/notes/1");
        assert.equal(r.status, 200);

        // the db process crashes; the supervisor restarts it on the same file
        r = await call("GET", "/health");
        assert.equal(r.status, 200);
        const before = (r.json as { db_pid: number }).db_pid;
        assert.ok(before > 0);
        r = await call("POST", "/debug/crash-db");
        assert.equal(r.status, 200);
        const { crashed_pid, db_pid } = r.json as { crashed_pid: number; db_pid: number };
        assert.equal(crashed_pid, before);
        assert.ok(db_pid > 0 && db_pid !== before, `db pid after the restart: ${db_pid}`);
        await server.waitFor(/^Process \d+ crashed: db crash requested /m, "stderr");
        await server.waitFor(new RegExp(`^db: serving .*notes\\.db \\(pid ${db_pid}\\)$`, "m"));
        r = await call("GET", "/health");
        assert.deepEqual(r.json, { status: "ok", db_pid });
        // same listener, same data, and new notes go on from the last id
        r = await call("GET", "/notes");
        assert.equal((r.json as unknown[]).length, 21);
        r = await call("POST", "/notes", JSON.stringify({ title: "after the restart" }));
        assert.equal(r.status, 201);
        assert.equal((r.json as { id: number }).id, Math.max(...ids) + 1);
        assert.equal(server.out.match(/^notes api listening on /gm)?.length, 1);
        assert.ok(await server.alive(), "the notes api ended");
      } finally {
        await server.kill();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });

  Deno.test({
    name:
      `crawler [${mode.name}]: the summary of a crawl of site, each URL fetched once, at most N fetches at once`,
    sanitizeResources: false,
    async fn() {
      // depth 3 from "/": pages 1-2 and about.html and /missing at depth 1, 3-6 at depth 2,
      // 7-14 at depth 3 (page k links to 2k+1 and 2k+2; pages 12-14 do not exist: 404)
      const deep = await crawl(mode.flags, 3, 3);
      const ok = (path: string) => `200 ${deep.base}${path}`;
      const missing = (path: string) => `404 ${deep.base}${path}`;
      assert.deepEqual(deep.lines, [
        `crawled 17 pages from ${deep.base}/ (depth <= 3, at most 3 fetches at once)`,
        ok("/"),
        ok("/about.html"),
        missing("/missing"),
        ok("/page/1"),
        ok("/page/10"),
        ok("/page/11"),
        missing("/page/12"),
        missing("/page/13"),
        missing("/page/14"),
        ok("/page/2"),
        ok("/page/3"),
        ok("/page/4"),
        ok("/page/5"),
        ok("/page/6"),
        ok("/page/7"),
        ok("/page/8"),
        ok("/page/9"),
      ]);
      assert.equal(deep.stats.requests, 17, "a URL was fetched more than once");
      assert.equal(deep.stats.in_flight, 0);
      assert.ok(deep.stats.max_concurrent <= 3, `site saw ${deep.stats.max_concurrent} at once`);
      assert.ok(deep.stats.max_concurrent >= 2, "the fetches never overlapped");
      assert.ok(deep.maxInFlight >= deep.stats.max_concurrent && deep.maxInFlight <= 3);

      // one fetch at a time, one level
      const shallow = await crawl(mode.flags, 1, 1);
      assert.deepEqual(shallow.lines, [
        `crawled 5 pages from ${shallow.base}/ (depth <= 1, at most 1 fetches at once)`,
        `200 ${shallow.base}/`,
        `200 ${shallow.base}/about.html`,
        `404 ${shallow.base}/missing`,
        `200 ${shallow.base}/page/1`,
        `200 ${shallow.base}/page/2`,
      ]);
      assert.equal(shallow.stats.requests, 5);
      assert.equal(shallow.stats.max_concurrent, 1);
      assert.equal(shallow.maxInFlight, 1);
    },
  });
}

Deno.test({
  name: "crawler: a site that is not there is an error line in the summary, not a crash",
  sanitizeResources: false,
  async fn() {
    // a port that was free a moment ago: nothing listens there
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const crawler = new TtvmProcess([CRAWLER, `http://127.0.0.1:${port}`, "2", "2"]);
    try {
      const { code, stdout, stderr } = await crawler.finish();
      assert.equal(code, 0, stderr);
      const lines = stdout.trimEnd().split("\n");
      assert.equal(lines.length, 3, stdout);
      assert.equal(
        lines[0],
        `crawled 1 pages from http://127.0.0.1:${port}/ (depth <= 2, at most 2 fetches at once)`,
      );
      assert.match(
        lines[1],
        new RegExp(
          `^error: HTTP request failed: http://127\\.0\\.0\\.1:${port}/: .+ http://127\\.0\\.0\\.1:${port}/$`,
        ),
      );
      assert.equal(lines[2], "max fetches in flight: 1");
    } finally {
      await crawler.kill();
    }
  },
});

Deno.test({
  name: "examples/ports: bad arguments are a usage error on stderr, exit status 1",
  sanitizeResources: false,
  async fn() {
    for (
      const [args, usage] of [
        [[CHAT, "abc"], "usage: chat_server.ttvm [port]"],
        [[NOTES, "x"], "usage: notes_api.ttvm [port] [db-file]"],
        [[CRAWLER], "usage: crawler.ttvm <start-url>"],
        [[CRAWLER, "ftp://example.com/"], "not an http(s) URL: ftp://example.com/"],
        [[CRAWLER, "http://127.0.0.1:1/", "0"], "usage: crawler.ttvm <start-url>"],
        [[SITE, "0", "many"], "usage: site.ttvm [port] [pages] [delay-ms]"],
      ] as Array<[string[], string]>
    ) {
      const run = new TtvmProcess(args);
      try {
        const { code, stdout, stderr } = await run.finish();
        assert.equal(code, 1, args.join(" "));
        assert.equal(stdout, "", args.join(" "));
        assert.ok(stderr.startsWith(`Error: Unhandled exception: ${usage}`), stderr);
      } finally {
        await run.kill();
      }
    }
  },
});

interface Crawl {
  base: string;
  /** The summary without its last line (the crawler's own maximum, which varies). */
  lines: string[];
  maxInFlight: number;
  stats: { requests: number; max_concurrent: number; in_flight: number };
}

/** Starts a fresh site (12 pages, 20 ms per answer), crawls it to completion, asks its stats. */
async function crawl(flags: string[], parallel: number, depth: number): Promise<Crawl> {
  const site = new TtvmProcess([...flags, SITE, "0", "12", "20"]);
  let crawler: TtvmProcess | null = null;
  try {
    const port = await site.port("site listening on");
    const base = `http://127.0.0.1:${port}`;
    crawler = new TtvmProcess([...flags, CRAWLER, `${base}/`, `${parallel}`, `${depth}`]);
    const { code, stdout, stderr } = await crawler.finish();
    assert.equal(code, 0, `crawler failed:\n${stdout}${stderr}`);
    assert.equal(stderr, "");
    const lines = stdout.trimEnd().split("\n");
    const last = lines.pop()!.match(/^max fetches in flight: (\d+)$/);
    assert.ok(last, `summary ends with the maximum: ${stdout}`);
    const stats = (await http(port, "GET", "/stats")).json as Crawl["stats"];
    return { base, lines, maxInFlight: Number(last[1]), stats };
  } finally {
    await crawler?.kill();
    await site.kill();
  }
}

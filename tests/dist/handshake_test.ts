/**
 * The handshake and connection rules, exercised from raw sockets against a DistNode: a peer
 * lacking mandatory flags is refused (in both roles), the old 'n' send_name with its
 * complement is accepted, a second connection from a node already connected gets "alive" and
 * replaces the old one, a peer that never speaks is timed out, and a connected peer that goes
 * silent is dropped after the net tick time while the node keeps ticking.
 */
import assert from "node:assert/strict";
import { ByteWriter, readU16, readU32 } from "../../src/dist/bytes.ts";
import { EpmdServer } from "../../src/dist/epmd_server.ts";
import {
  acceptHandshake,
  DFLAG,
  DFLAGS_OFFERED,
  handshakeDigest,
  HandshakeError,
  initiateHandshake,
  type LocalIdentity,
} from "../../src/dist/handshake.ts";
import { DistNode } from "../../src/dist/node.ts";
import { BufferedSocket, connectTcp } from "../../src/dist/socket.ts";
import { uniqueName } from "./erl_harness.ts";

const COOKIE = "hs_cookie";

async function withNode(
  body: (node: DistNode, downs: [string, string][]) => Promise<void>,
  netTickTimeS = 60,
  handshakeTimeoutMs = 7000,
) {
  const epmd = EpmdServer.start({ port: 0, hostname: "127.0.0.1" });
  const downs: [string, string][] = [];
  const node = await DistNode.start({
    name: `${uniqueName("hs")}@127.0.0.1`,
    cookie: COOKIE,
    epmdPort: epmd.port,
    startEpmd: false,
    listenHostname: "127.0.0.1",
    netTickTimeS,
    handshakeTimeoutMs,
    onNodeDown: (n, r) => downs.push([n, r]),
  });
  try {
    await body(node, downs);
  } finally {
    await node.stop();
    await epmd.close();
  }
}

const fake = (flags = DFLAGS_OFFERED | DFLAG.PUBLISHED): LocalIdentity => ({
  name: `${uniqueName("fake")}@127.0.0.1`,
  cookie: COOKIE,
  creation: 77,
  flags,
});

async function until(check: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("a peer without the flags OTP 25 requires is refused, in either role", async () => {
  await withNode(async (node) => {
    const sock = await connectTcp("127.0.0.1", node.port, 2000);
    try {
      await assert.rejects(
        initiateHandshake(sock, fake(DFLAGS_OFFERED & ~DFLAG.MAP_TAG), { peer: node.name }),
        (e) => e instanceof HandshakeError && e.reason === "not_allowed",
      );
    } finally {
      sock.close();
    }
    assert.deepEqual(node.nodes(), []);
  });
  // As initiator: an acceptor offering too little is refused by us.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const acceptor = (async () => {
    const conn = await listener.accept();
    const sock = new BufferedSocket(conn);
    const id = fake(DFLAGS_OFFERED & ~DFLAG.BIG_CREATION);
    id.name = "old@127.0.0.1";
    await acceptHandshake(sock, id, { decide: () => "ok" }).catch(() => {});
    sock.close();
  })();
  const sock = await connectTcp("127.0.0.1", listener.addr.port, 2000);
  try {
    await assert.rejects(
      initiateHandshake(sock, fake(), { peer: "old@127.0.0.1" }),
      (e) => e instanceof HandshakeError && e.reason === "missing_flags",
    );
  } finally {
    sock.close();
    await acceptor;
    listener.close();
  }
});

Deno.test("an OTP 23/24-style 'n' send_name with its complement is accepted", async () => {
  await withNode(async (node) => {
    const sock = await connectTcp("127.0.0.1", node.port, 2000);
    try {
      const me = fake();
      const name = new TextEncoder().encode(me.name);
      const low = Number(me.flags & 0xffffffffn), high = Number(me.flags >> 32n);
      await sock.writePacket2(new ByteWriter().u8(0x6e).u16(5).u32(low).bytes(name).finish());
      assert.equal(new TextDecoder().decode(await sock.readPacket2()), "sok");
      const ch = await sock.readPacket2();
      assert.equal(ch[0], 0x4e);
      const challenge = readU32(ch, 9);
      assert.equal(new TextDecoder().decode(ch.subarray(19, 19 + readU16(ch, 17))), node.name);
      await sock.writePacket2(new ByteWriter().u8(0x63).u32(high).u32(me.creation).finish());
      const mine = 0x12345678;
      await sock.writePacket2(
        new ByteWriter().u8(0x72).u32(mine).bytes(handshakeDigest(challenge, COOKIE)).finish(),
      );
      const ack = await sock.readPacket2();
      assert.deepEqual(ack.subarray(1), handshakeDigest(mine, COOKIE));
      await until(() => node.isConnected(me.name), "the connection");
    } finally {
      sock.close();
    }
  });
});

Deno.test("a new connection from a node already connected gets 'alive' and replaces it", async () => {
  await withNode(async (node, downs) => {
    const me = fake();
    const first = await connectTcp("127.0.0.1", node.port, 2000);
    const second = await connectTcp("127.0.0.1", node.port, 2000);
    try {
      await initiateHandshake(first, me, { peer: node.name });
      await until(() => node.isConnected(me.name), "the first connection");
      let askedAlive = false;
      await initiateHandshake(second, me, {
        peer: node.name,
        onAlive: () => (askedAlive = true),
      });
      assert.ok(askedAlive);
      assert.equal(node.counters.aliveSent, 1);
      await until(() => downs.length === 1, "the old connection's nodedown");
      assert.match(downs[0][1], /replaced/);
      assert.deepEqual(node.nodes(), [me.name]);
      // The old socket was closed by the node; the new one works.
      await assert.rejects(first.readExact(1));
    } finally {
      first.close();
      second.close();
    }
  });
});

Deno.test("a connected peer that goes silent is dropped after the net tick time", async () => {
  await withNode(async (node, downs) => {
    const sock: BufferedSocket = await connectTcp("127.0.0.1", node.port, 2000);
    try {
      const me = fake();
      const started = Date.now();
      await initiateHandshake(sock, me, { peer: node.name });
      // The node ticks (4 zero bytes) every net tick time / 4 while it has nothing to send.
      assert.deepEqual(await sock.readExact(4), new Uint8Array(4));
      await until(() => downs.length === 1, "net tick timeout", 30_000);
      assert.deepEqual(downs[0], [me.name, "net_tick_timeout"]);
      const elapsed = Date.now() - started;
      // Not before the net tick time; how late after it depends on the machine's load.
      assert.ok(elapsed >= 1000, `dropped after ${elapsed} ms`);
    } finally {
      sock.close();
    }
  }, 1);
});

Deno.test("a peer that never finishes its handshake is cut off after the handshake timeout", async () => {
  await withNode(
    async (node) => {
      const sock = await connectTcp("127.0.0.1", node.port, 2000);
      try {
        const started = Date.now();
        await assert.rejects(sock.readExact(1)); // we send nothing; the node closes
        assert.ok(Date.now() - started >= 250);
      } finally {
        sock.close();
      }
    },
    60,
    300,
  );
});

Deno.test("digests: MD5 of the cookie followed by the challenge in decimal", () => {
  // erlang:md5("hs_cookie4294967295") computed by OTP.
  const hex = [...handshakeDigest(0xffffffff, COOKIE)].map((b) => b.toString(16).padStart(2, "0"));
  assert.equal(hex.join(""), "f5d09f3660b724f85ae0ee92b1b26dd1");
  assert.notDeepEqual(handshakeDigest(1, "a"), handshakeDigest(1, "b"));
});

/**
 * The client of the echo benchmark, the same for every server: C connections, each sending a
 * line and waiting for its echo, again and again, for D milliseconds. Prints one JSON line:
 * `{"roundTrips": n, "ms": elapsed, "rate": round trips per second}`; a wrong echo fails.
 * Args: port connections durationMs.
 */
const [port, connections, durationMs] = Deno.args.map(Number);
const enc = new TextEncoder(), dec = new TextDecoder();
const conns = await Promise.all(
  Array.from({ length: connections }, () => Deno.connect({ hostname: "127.0.0.1", port })),
);
for (const c of conns) c.setNoDelay(true);
let trips = 0;
const t0 = performance.now();
const deadline = t0 + durationMs;
await Promise.all(conns.map(async (conn, id) => {
  const buf = new Uint8Array(4096);
  let pending = "";
  for (let i = 0; performance.now() < deadline; i++) {
    const line = `client ${id} says hello ${i}`;
    await conn.write(enc.encode(line + "\n"));
    while (!pending.includes("\n")) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`connection ${id} closed`);
      pending += dec.decode(buf.subarray(0, n), { stream: true });
    }
    const nl = pending.indexOf("\n");
    if (pending.slice(0, nl) !== line) throw new Error(`wrong echo on ${id}: ${pending}`);
    pending = pending.slice(nl + 1);
    trips++;
  }
}));
const ms = performance.now() - t0;
for (const c of conns) c.close();
console.log(JSON.stringify({ roundTrips: trips, ms, rate: trips / (ms / 1000) }));

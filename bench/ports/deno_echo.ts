/**
 * A bare Deno line echo server — the ceiling of this platform for the ports benchmark: one
 * async loop per connection, writing back every complete line. Prints `listening <port>`; runs
 * until killed. Args: [port] (default 0).
 */
const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(Deno.args[0] ?? 0) });
console.log(`listening ${(listener.addr as Deno.NetAddr).port}`);
for await (const conn of listener) serve(conn as Deno.TcpConn);

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buf = new Uint8Array(64 * 1024);
  let pending = new Uint8Array(0);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      const data = new Uint8Array(pending.length + n);
      data.set(pending);
      data.set(buf.subarray(0, n), pending.length);
      const end = data.lastIndexOf(10) + 1;
      if (end > 0) {
        let off = 0;
        while (off < end) off += await conn.write(data.subarray(off, end));
      }
      pending = data.slice(end);
    }
  } catch {
    // a client that resets: done
  } finally {
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}

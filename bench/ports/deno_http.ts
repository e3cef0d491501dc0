/**
 * A plain Deno.serve handler — the HTTP ceiling of this platform for the ports benchmark.
 * Prints `listening <port>`; runs until killed. Args: [port] (default 0).
 */
Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 0),
  onListen: ({ port }) => console.log(`listening ${port}`),
}, () => new Response("hello from deno\n", { headers: { "content-type": "text/plain" } }));

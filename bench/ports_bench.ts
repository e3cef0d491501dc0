/**
 * Ports benchmarks (`deno bench -A bench/ports_bench.ts`), all through real sockets on
 * 127.0.0.1, servers and clients in separate OS processes:
 * - line echo round trips per second with 1, 10, 100 and 1,000 connections: ttvm (single
 *   scheduler and --smp=2) against Erlang's gen_tcp server ({active, once}, a process per
 *   connection; when `erl` is installed) and a bare Deno echo server, all driven by the same
 *   client (bench/ports/echo_client.ts). Target: ttvm at 100 connections ≥ BEAM.
 * - HTTP requests per second (wrk, when installed; skipped otherwise) against a plain
 *   Deno.serve handler. Target: ≥ 50 % of bare Deno.serve.
 * - a process waiting on a socket uses no CPU: 10,000 idle connections, the server's CPU time
 *   per second of wall time while idle.
 * The figures print first; the Deno.bench entries time one short run each. The measuring itself
 * lives in bench/ports/measure.ts, shared with `deno task bench:compare` (its Network part).
 */
import { haveErlang, type ServerKind, startServer } from "./ports/servers.ts";
import {
  echoRate as runEchoClient,
  haveWrk,
  idleCpu as measureIdle,
  wrkRate,
} from "./ports/measure.ts";

const ECHO_MS = Number(Deno.env.get("TTVM_BENCH_ECHO_MS") ?? 3000);

async function echoRate(port: number, connections: number, ms: number): Promise<number> {
  return (await runEchoClient(port, connections, ms)).rate;
}

function httpRate(port: number): Promise<number> {
  return wrkRate(port, { threads: 1, connections: 50, durationS: 3 });
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

async function echoTable(): Promise<void> {
  const kinds: ServerKind[] = [
    "ttvm",
    "ttvm-smp2",
    ...(haveErlang() ? ["erlang" as const] : []),
    "deno",
  ];
  console.log(`line echo, round trips/s (${ECHO_MS} ms per cell, same client for every server)`);
  console.log(["connections", ...kinds].join("\t"));
  for (const connections of [1, 10, 100, 1000]) {
    const row: string[] = [String(connections)];
    for (const kind of kinds) {
      const server = await startServer(kind, "echo");
      try {
        row.push(fmt(await echoRate(server.port, connections, ECHO_MS)));
      } finally {
        await server.stop();
      }
    }
    console.log(row.join("\t"));
  }
  if (!haveErlang()) console.log("(erl not found: the BEAM column is missing)");
}

async function httpTable(): Promise<void> {
  if (!haveWrk()) {
    console.log("HTTP: wrk not found (apt-get install wrk), skipped");
    return;
  }
  const rates: Record<string, number> = {};
  for (const kind of ["ttvm", "ttvm-smp2", "deno"] as const) {
    const server = await startServer(kind, "http");
    try {
      rates[kind] = await httpRate(server.port);
    } finally {
      await server.stop();
    }
  }
  console.log(
    `HTTP requests/s (wrk -t1 -c50 -d3s): ttvm ${fmt(rates.ttvm)}, ttvm --smp=2 ${
      fmt(rates["ttvm-smp2"])
    }, bare Deno.serve ${fmt(rates.deno)} — ttvm at ${
      (100 * rates.ttvm / rates.deno).toFixed(0)
    } %`,
  );
}

async function idleCpu(connections = 10_000): Promise<void> {
  const server = await startServer("ttvm", "echo");
  try {
    const r = await measureIdle(server.port, server.pid, connections, 5000);
    console.log(
      `idle: ${fmt(connections)} connections, each with its process waiting in TCP_RECV_LINE: ` +
        `${r.cpuMsPerS.toFixed(1)} ms of CPU per second of wall time`,
    );
  } finally {
    await server.stop();
  }
}

await echoTable();
await httpTable();
await idleCpu();

Deno.bench("ttvm echo, 10 connections, 300 ms", { group: "ports", n: 3 }, async () => {
  const server = await startServer("ttvm", "echo");
  try {
    await echoRate(server.port, 10, 300);
  } finally {
    await server.stop();
  }
});

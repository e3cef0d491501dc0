/**
 * Node built-in modules loaded on first use, synchronously (`process.getBuiltinModule`).
 *
 * Why: a static `import "node:zlib"` makes every thread that loads the module bootstrap
 * Deno's Node compatibility layer at start-up — measured here 20–55 ms per SMP worker, on a
 * 2-core machine where the workers start while the program already runs, and 24 ms of the
 * main thread's start-up for crypto, dgram, dns and sqlite together (2026-12-07). What needs
 * a built-in (COMPRESS, ENCRYPT, a compressed Erlang term, the distribution handshake, a UDP
 * socket, a database) is rare, so it fetches it here the first time and keeps it.
 */
import type * as Crypto from "node:crypto";
import type * as Dgram from "node:dgram";
import type * as DnsPromises from "node:dns/promises";
import type * as Path from "node:path";
import type * as Sqlite from "node:sqlite";
import type * as Url from "node:url";
import type * as Zlib from "node:zlib";

interface BuiltinModules {
  "node:crypto": typeof Crypto;
  "node:dgram": typeof Dgram;
  "node:dns/promises": typeof DnsPromises;
  "node:path": typeof Path;
  "node:sqlite": typeof Sqlite;
  "node:url": typeof Url;
  "node:zlib": typeof Zlib;
}

const loaded = new Map<string, unknown>();

/** The built-in module `name`, loaded on the first call. */
export function nodeBuiltin<K extends keyof BuiltinModules>(name: K): BuiltinModules[K] {
  let m = loaded.get(name);
  if (m === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?(n: string): unknown } }).process;
    m = proc?.getBuiltinModule?.(name);
    if (m === undefined) throw new Error(`the runtime cannot load ${name}`);
    loaded.set(name, m);
  }
  return m as BuiltinModules[K];
}

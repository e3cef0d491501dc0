/**
 * Node built-in modules loaded on first use, synchronously (`process.getBuiltinModule`).
 *
 * Why: a static `import "node:zlib"` makes every thread that loads the module bootstrap
 * Deno's Node compatibility layer at start-up — measured here 20–55 ms per SMP worker, on a
 * 2-core machine where the workers start while the program already runs. Instructions that
 * need a built-in (COMPRESS, ENCRYPT, a compressed Erlang term) are rare and synchronous, so
 * they fetch it here the first time and keep it.
 */
import type * as Crypto from "node:crypto";
import type * as Zlib from "node:zlib";

interface BuiltinModules {
  "node:crypto": typeof Crypto;
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

/**
 * Making a run a distributed node (LANGUAGE.md §8): the options of `--sname`, `--name`,
 * `--cookie` and the EPMD port, and `startDistribution`, which finds the cookie (else
 * `$HOME/.erlang.cookie`, created as Erlang does), starts the DistNode (registering with the
 * EPMD on the port, starting `epmd -daemon` when installed and none answers, else serving EPMD
 * in process), records the node's name for NODE / NODE_OF on every thread (H_NODE_ATOM) and
 * attaches the bridge to the port driver. It runs before the first process does.
 */
import { encodeProgram } from "../bytecode/mod.ts";
import { crc32 } from "../bytecode/crc32.ts";
import { CookieError, DistNode, EpmdError, erlangCookie } from "../dist/mod.ts";
import type { Output } from "../io/output.ts";
import type { Program } from "../isa/program.ts";
import { H_NODE_ATOM } from "../mem/layout.ts";
import type { PortDriver } from "../ports/driver.ts";
import type { Processes } from "../proc/procs.ts";
import { DistBridge } from "./bridge.ts";
import { spawnWith } from "./spawn.ts";

export interface DistOptions {
  /** `alive` (short names: `alive@<short host>`) or `alive@host`. */
  name: string;
  /** Long names (`--name`): a name without `@host` gets the full host name. */
  longNames: boolean;
  /** Else `$HOME/.erlang.cookie`. */
  cookie?: string;
  /** EPMD port (default 4369; `ERL_EPMD_PORT` as Erlang). */
  epmdPort?: number;
  /** Never start `epmd -daemon`: serve EPMD in process when none answers. */
  embeddedEpmd?: boolean;
  /** Net tick time in seconds (default 60, Erlang's): must match the cluster's. */
  netTickTimeS?: number;
}

/** The node could not start (name taken, EPMD unreachable, unreadable cookie): reported as
 *  `Error: <message>`, exit status 1. */
export class DistStartError extends Error {}

/** The full node name for the options (`alive@host`). */
export function nodeName(opts: DistOptions): string {
  if (opts.name.includes("@")) return opts.name;
  const host = Deno.hostname();
  return `${opts.name}@${opts.longNames ? host : host.split(".")[0]}`;
}

/** What the run gives the node: its driver, a process layer of the driver's thread (to start
 *  processes other nodes ask for), the program, and the output for group-leader text and
 *  warnings. */
export interface DistRun {
  driver: PortDriver;
  procs: Processes;
  program: Program;
  stdout: Output;
  stderr: Output;
}

/** Functions cross only between nodes running the same program: its fingerprint. */
export function programFingerprint(program: Program): number {
  return crc32(encodeProgram(program));
}

export async function startDistribution(opts: DistOptions, run: DistRun): Promise<DistBridge> {
  const name = nodeName(opts);
  let node: DistNode;
  try {
    const cookie = opts.cookie ?? await erlangCookie();
    node = await DistNode.start({
      name,
      cookie,
      epmdPort: opts.epmdPort,
      startEpmd: opts.embeddedEpmd ? { epmdCommand: null } : true,
      netTickTimeS: opts.netTickTimeS,
    });
  } catch (e) {
    if (e instanceof CookieError) throw new DistStartError(e.message);
    if (e instanceof EpmdError && /refused to register/.test(e.message)) {
      throw new DistStartError(
        `cannot start node ${name}: the name is in use by another node (EPMD refused it)`,
      );
    }
    throw new DistStartError(`cannot start node ${name}: ${(e as Error).message}`);
  }
  const { procs, driver } = run;
  Atomics.store(procs.mem.i32, H_NODE_ATOM, procs.atoms.intern(node.name) + 1);
  return new DistBridge(node, {
    driver,
    atoms: procs.atoms,
    table: procs.table,
    registry: procs.registry,
    image: procs.image,
    program: programFingerprint(run.program),
    newRef: () => procs.newRef(),
    spawn: (entryPc, bindings) => spawnWith(procs, entryPc, bindings),
    print: (text) => {
      run.stdout.write(text);
      run.stdout.flush();
    },
    warn: (text) => {
      run.stderr.write(text);
      run.stderr.flush();
    },
  });
}

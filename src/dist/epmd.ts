/**
 * EPMD, the Erlang Port Mapper Daemon protocol: the client side a node uses (register, look up
 * a node's port, list names) and `ensureEpmd`, which finds or provides a port mapper. The
 * in-process server is in epmd_server.ts.
 *
 * Every request travels on its own TCP connection as `len:u16 request`; responses are unframed:
 *
 *   ALIVE2_REQ   120 port:u16 nodeType:u8 protocol:u8 highest:u16 lowest:u16
 *                    nlen:u16 name[nlen] elen:u16 extra[elen]
 *   ALIVE2_X_RESP 118 result:u8 creation:u32       (ALIVE2_RESP 121 result:u8 creation:u16)
 *   PORT_PLEASE2_REQ 122 name[]
 *   PORT2_RESP   119 result:u8 [port:u16 nodeType:u8 protocol:u8 highest:u16 lowest:u16
 *                    nlen:u16 name[nlen] elen:u16 extra[elen]]   (fields only when result = 0)
 *   NAMES_REQ    110   →  epmdPort:u32 then "name <n> at port <p>\n" lines to end of stream
 *
 * A registration lives exactly as long as its TCP connection: EpmdRegistration keeps it open
 * and reports when EPMD closes it.
 */
import { ByteWriter, readU16, readU32, utf8Decoder, utf8Encoder } from "./bytes.ts";
import { EpmdServer } from "./epmd_server.ts";
import { type BufferedSocket, connectTcp, withDeadline } from "./socket.ts";

export const EPMD_DEFAULT_PORT = 4369;

export const EPMD_REQ = { ALIVE2: 120, PORT_PLEASE2: 122, NAMES: 110, DUMP: 100, KILL: 107 };
export const EPMD_RESP = { ALIVE2_X: 118, ALIVE2: 121, PORT2: 119 };

/** Node types in ALIVE2_REQ / PORT2_RESP. */
export const NODE_TYPE_NORMAL = 77, NODE_TYPE_HIDDEN = 72;
/** The only distribution version OTP 25+ speaks (HANDSHAKE_23). */
export const DIST_VERSION = 6;

export class EpmdError extends Error {
  override name = "EpmdError";
}

export interface EpmdAddress {
  /** Host running the EPMD (default 127.0.0.1). */
  hostname?: string;
  /** Its port (default 4369). */
  port?: number;
  timeoutMs?: number;
}

export interface EpmdNodeInfo {
  name: string;
  port: number;
  nodeType: number;
  protocol: number;
  highestVersion: number;
  lowestVersion: number;
  extra: Uint8Array;
}

const DEFAULT_TIMEOUT_MS = 5000;

async function request<T>(
  addr: EpmdAddress,
  body: Uint8Array,
  readResponse: (sock: BufferedSocket) => Promise<T>,
): Promise<T> {
  const hostname = addr.hostname ?? "127.0.0.1", port = addr.port ?? EPMD_DEFAULT_PORT;
  const timeoutMs = addr.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sock = await connectTcp(hostname, port, timeoutMs);
  try {
    return await withDeadline(
      (async () => {
        await sock.writePacket2(body);
        return await readResponse(sock);
      })(),
      timeoutMs,
      () => sock.close(),
      `EPMD at ${hostname}:${port} did not answer within ${timeoutMs} ms`,
    );
  } finally {
    sock.close();
  }
}

/** PORT_PLEASE2_REQ: where node `name` (the part before @) listens, or null if unknown. */
export function epmdPortPlease(name: string, addr: EpmdAddress = {}): Promise<EpmdNodeInfo | null> {
  const body = new ByteWriter().u8(EPMD_REQ.PORT_PLEASE2).bytes(utf8Encoder.encode(name)).finish();
  return request(addr, body, async (sock) => {
    const head = await sock.readExact(2);
    if (head[0] !== EPMD_RESP.PORT2) throw new EpmdError(`bad PORT2_RESP tag ${head[0]}`);
    if (head[1] !== 0) return null;
    const fixed = await sock.readExact(10);
    const nlen = readU16(fixed, 8);
    const nameBytes = await sock.readExact(nlen);
    const elen = readU16(await sock.readExact(2), 0);
    return {
      port: readU16(fixed, 0),
      nodeType: fixed[2],
      protocol: fixed[3],
      highestVersion: readU16(fixed, 4),
      lowestVersion: readU16(fixed, 6),
      name: utf8Decoder.decode(nameBytes),
      extra: await sock.readExact(elen),
    };
  });
}

/** NAMES_REQ: the EPMD's own port and the registered names with their ports. */
export function epmdNames(
  addr: EpmdAddress = {},
): Promise<{ epmdPort: number; names: { name: string; port: number }[] }> {
  return request(addr, new Uint8Array([EPMD_REQ.NAMES]), async (sock) => {
    const epmdPort = readU32(await sock.readExact(4), 0);
    const text = new TextDecoder().decode(await sock.readToEnd());
    const names: { name: string; port: number }[] = [];
    for (const line of text.split("\n")) {
      const m = /^name (.+) at port (\d+)$/.exec(line);
      if (m) names.push({ name: m[1], port: Number(m[2]) });
    }
    return { epmdPort, names };
  });
}

/** True when something at `addr` answers NAMES_REQ like an EPMD. */
export async function epmdAnswers(addr: EpmdAddress = {}): Promise<boolean> {
  try {
    await epmdNames({ timeoutMs: 1000, ...addr });
    return true;
  } catch {
    return false;
  }
}

export interface RegisterOptions extends EpmdAddress {
  /** The alive part of the node name (before @). */
  name: string;
  /** The distribution port the node listens on. */
  listenPort: number;
  hidden?: boolean;
  extra?: Uint8Array;
}

/** A live EPMD registration: it ends when `close()` is called or EPMD drops the connection. */
export class EpmdRegistration {
  /** Resolves when the registration connection has closed, for whatever reason. */
  readonly closed: Promise<void>;

  constructor(private readonly sock: BufferedSocket, readonly creation: number) {
    // EPMD never sends anything more on this connection; a read ending means it is gone.
    this.closed = sock.readExact(1).then(() => {}, () => {}).finally(() => sock.close());
  }

  async close(): Promise<void> {
    this.sock.close();
    await this.closed;
  }
}

/** ALIVE2_REQ: registers a node; the returned registration must be kept to stay registered. */
export async function epmdRegister(opts: RegisterOptions): Promise<EpmdRegistration> {
  const hostname = opts.hostname ?? "127.0.0.1", port = opts.port ?? EPMD_DEFAULT_PORT;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const name = utf8Encoder.encode(opts.name), extra = opts.extra ?? new Uint8Array(0);
  const body = new ByteWriter().u8(EPMD_REQ.ALIVE2).u16(opts.listenPort)
    .u8(opts.hidden ? NODE_TYPE_HIDDEN : NODE_TYPE_NORMAL).u8(0)
    .u16(DIST_VERSION).u16(DIST_VERSION)
    .u16(name.length).bytes(name).u16(extra.length).bytes(extra).finish();
  const sock = await connectTcp(hostname, port, timeoutMs);
  try {
    const creation = await withDeadline(
      (async () => {
        await sock.writePacket2(body);
        const head = await sock.readExact(2);
        if (head[0] === EPMD_RESP.ALIVE2_X) {
          const creation = readU32(await sock.readExact(4), 0);
          if (head[1] !== 0) throw new EpmdError(`EPMD refused to register ${opts.name}`);
          return creation;
        }
        if (head[0] === EPMD_RESP.ALIVE2) {
          const creation = readU16(await sock.readExact(2), 0);
          if (head[1] !== 0) throw new EpmdError(`EPMD refused to register ${opts.name}`);
          return creation;
        }
        throw new EpmdError(`bad ALIVE2 response tag ${head[0]}`);
      })(),
      timeoutMs,
      () => sock.close(),
      `EPMD at ${hostname}:${port} did not answer ALIVE2_REQ within ${timeoutMs} ms`,
    );
    return new EpmdRegistration(sock, creation);
  } catch (e) {
    sock.close();
    if (e instanceof EpmdError) throw e;
    throw new EpmdError(`cannot register ${opts.name} with EPMD: ${(e as Error).message}`);
  }
}

// ── finding or providing an EPMD ───────────────────────────────────────────────────────────

export interface EpmdHandle {
  /** "existing": something already answered; "spawned": we started `epmd -daemon` (it outlives
   *  us, as Erlang's does); "embedded": this process serves the protocol itself. */
  readonly kind: "existing" | "spawned" | "embedded";
  readonly port: number;
  /** Lets go of the handle; the last release of an embedded server closes it. */
  release(): Promise<void>;
}

export interface EnsureEpmdOptions {
  /** The epmd executable to try; null never starts one (default "epmd", found on PATH). */
  epmdCommand?: string | null;
  /** Address the embedded server listens on (default 0.0.0.0, as epmd does). */
  listenHostname?: string;
  /** How long a started epmd may take to answer (default 5000 ms). */
  startTimeoutMs?: number;
}

/** Embedded servers of this process by port, shared by every node that uses them. */
const embedded = new Map<number, { server: EpmdServer; users: number }>();

/**
 * Makes sure an EPMD answers on `port` of this host: one that already answers is used; else an
 * installed `epmd` is started as a daemon and awaited; else this process serves the protocol.
 */
export async function ensureEpmd(
  port = EPMD_DEFAULT_PORT,
  opts: EnsureEpmdOptions = {},
): Promise<EpmdHandle> {
  const own = embeddedHandle(port);
  if (own) return own;
  const probe = { hostname: "127.0.0.1", port };
  if (await epmdAnswers(probe)) return { kind: "existing", port, release: () => Promise.resolve() };
  const command = opts.epmdCommand === undefined ? "epmd" : opts.epmdCommand;
  if (command !== null && await startDaemon(command, port)) {
    const deadline = Date.now() + (opts.startTimeoutMs ?? 5000);
    while (Date.now() < deadline) {
      if (await epmdAnswers(probe)) {
        return { kind: "spawned", port, release: () => Promise.resolve() };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    const server = EpmdServer.start({ port, hostname: opts.listenHostname ?? "0.0.0.0" });
    embedded.set(port, { server, users: 0 });
  } catch (e) {
    // Lost a race with another process that now serves the port?
    if (await epmdAnswers(probe)) {
      return {
        kind: "existing",
        port,
        release: () => Promise.resolve(),
      };
    }
    throw new EpmdError(`cannot serve EPMD on port ${port}: ${(e as Error).message}`);
  }
  return embeddedHandle(port)!;
}

function embeddedHandle(port: number): EpmdHandle | undefined {
  const entry = embedded.get(port);
  if (!entry) return undefined;
  entry.users++;
  let released = false;
  return {
    kind: "embedded",
    port,
    release: async () => {
      if (released) return;
      released = true;
      if (--entry.users === 0 && embedded.get(port) === entry) {
        embedded.delete(port);
        await entry.server.close();
      }
    },
  };
}

/** Runs `<command> -daemon -port <port>`; false when it cannot be run at all. */
async function startDaemon(command: string, port: number): Promise<boolean> {
  try {
    const out = await new Deno.Command(command, {
      args: ["-daemon", "-port", String(port)],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false; // not installed (NotFound) or not executable
  }
}

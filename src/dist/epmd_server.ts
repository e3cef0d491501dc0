/**
 * An EPMD server inside this process, speaking the same protocol as Erlang's `epmd` (layouts in
 * epmd.ts), so that ttvm nodes find each other — and Erlang nodes find them — on a machine with
 * no Erlang installed.
 *
 * Served: ALIVE2_REQ (answered with ALIVE2_X_RESP; the name stays registered while that
 * connection stays open), PORT_PLEASE2_REQ, NAMES_REQ, DUMP_REQ and KILL_REQ (refused with "NO"
 * while names are registered, as `epmd -kill` is). A name registered twice is refused.
 * Every node gets a fresh non-zero 32-bit creation, never the one its name had last time, so
 * pids of a restarted node are told apart from the old ones.
 */
import { ByteWriter, readU16, utf8Decoder, utf8Encoder } from "./bytes.ts";
import { BufferedSocket, withDeadline } from "./socket.ts";

const REQ_ALIVE2 = 120, REQ_PORT_PLEASE2 = 122, REQ_NAMES = 110, REQ_DUMP = 100, REQ_KILL = 107;
const RESP_ALIVE2_X = 118, RESP_PORT2 = 119;
const REQUEST_TIMEOUT_MS = 10_000;

interface Registered {
  name: string;
  port: number;
  nodeType: number;
  protocol: number;
  highestVersion: number;
  lowestVersion: number;
  extra: Uint8Array;
  creation: number;
  sock: BufferedSocket;
}

export class EpmdServer {
  private readonly nodes = new Map<string, Registered>();
  private readonly lastCreation = new Map<string, number>();
  private readonly sockets = new Set<BufferedSocket>();
  private readonly tasks = new Set<Promise<void>>();
  private closing = false;
  private readonly acceptLoop: Promise<void>;

  private constructor(private readonly listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>) {
    this.acceptLoop = this.accept();
  }

  /** Listens now (throws AddrInUse etc. synchronously); port 0 picks a free port. */
  static start(opts: { port?: number; hostname?: string } = {}): EpmdServer {
    const listener = Deno.listen({ port: opts.port ?? 4369, hostname: opts.hostname ?? "0.0.0.0" });
    return new EpmdServer(listener);
  }

  get port(): number {
    return this.listener.addr.port;
  }

  /** The registered names and their ports. */
  names(): { name: string; port: number; creation: number }[] {
    return [...this.nodes.values()].map((n) => ({
      name: n.name,
      port: n.port,
      creation: n.creation,
    }));
  }

  private async accept(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.listener.accept();
      } catch {
        return; // listener closed
      }
      if (this.closing) {
        conn.close();
        return;
      }
      const sock = new BufferedSocket(conn);
      this.sockets.add(sock);
      const task = this.serve(sock).catch(() => {}).finally(() => {
        this.tasks.delete(task);
        if (!this.isRegistration(sock)) this.dropSocket(sock);
      });
      this.tasks.add(task);
    }
  }

  private isRegistration(sock: BufferedSocket): boolean {
    for (const n of this.nodes.values()) if (n.sock === sock) return true;
    return false;
  }

  private dropSocket(sock: BufferedSocket): void {
    sock.close();
    this.sockets.delete(sock);
  }

  private async serve(sock: BufferedSocket): Promise<void> {
    const req = await withDeadline(
      sock.readPacket2(),
      REQUEST_TIMEOUT_MS,
      () => sock.close(),
      "EPMD request timeout",
    );
    if (req.length === 0) return;
    switch (req[0]) {
      case REQ_ALIVE2:
        return await this.alive2(sock, req);
      case REQ_PORT_PLEASE2: {
        const node = this.nodes.get(utf8Decoder.decode(req.subarray(1)));
        if (!node) return await sock.writeAll(new Uint8Array([RESP_PORT2, 1]));
        const name = utf8Encoder.encode(node.name);
        const w = new ByteWriter().u8(RESP_PORT2).u8(0).u16(node.port).u8(node.nodeType)
          .u8(node.protocol).u16(node.highestVersion).u16(node.lowestVersion)
          .u16(name.length).bytes(name).u16(node.extra.length).bytes(node.extra);
        return await sock.writeAll(w.finish());
      }
      case REQ_NAMES:
      case REQ_DUMP: {
        const w = new ByteWriter().u32(this.port);
        for (const n of this.nodes.values()) {
          const line = req[0] === REQ_NAMES
            ? `name ${n.name} at port ${n.port}\n`
            : `active name     <${n.name}> at port ${n.port}, fd = 0\n`;
          w.bytes(utf8Encoder.encode(line));
        }
        return await sock.writeAll(w.finish());
      }
      case REQ_KILL:
        if (this.nodes.size > 0) return await sock.writeAll(utf8Encoder.encode("NO"));
        await sock.writeAll(utf8Encoder.encode("OK"));
        queueMicrotask(() => this.close());
        return;
      default:
        return; // unknown request: close, as epmd does
    }
  }

  private async alive2(sock: BufferedSocket, req: Uint8Array): Promise<void> {
    // 120 port:u16 nodeType:u8 protocol:u8 highest:u16 lowest:u16 nlen:u16 name elen:u16 extra
    if (req.length < 11) return;
    const nlen = readU16(req, 9);
    if (req.length < 11 + nlen + 2) return;
    const name = utf8Decoder.decode(req.subarray(11, 11 + nlen));
    const elen = readU16(req, 11 + nlen);
    const extra = req.slice(13 + nlen, 13 + nlen + elen);
    if (this.nodes.has(name) || this.closing) {
      await sock.writeAll(new Uint8Array([RESP_ALIVE2_X, 1, 0, 0, 0, 0]));
      return;
    }
    const creation = this.nextCreation(name);
    const node: Registered = {
      name,
      port: readU16(req, 1),
      nodeType: req[3],
      protocol: req[4],
      highestVersion: readU16(req, 5),
      lowestVersion: readU16(req, 7),
      extra,
      creation,
      sock,
    };
    this.nodes.set(name, node);
    try {
      await sock.writeAll(new ByteWriter().u8(RESP_ALIVE2_X).u8(0).u32(creation).finish());
      // Registered until the node closes this connection (anything it sends is ignored).
      while (!sock.closed) await sock.readExact(1);
    } catch {
      // connection closed: the node is gone
    } finally {
      if (this.nodes.get(name) === node) this.nodes.delete(name);
      this.dropSocket(sock);
    }
  }

  private nextCreation(name: string): number {
    const last = this.lastCreation.get(name);
    let creation: number;
    do {
      creation = crypto.getRandomValues(new Uint32Array(1))[0];
    } while (creation === 0 || creation === last);
    this.lastCreation.set(name, creation);
    return creation;
  }

  /** Stops listening and drops every connection (and so every registration). */
  async close(): Promise<void> {
    if (this.closing) {
      await this.acceptLoop;
      return;
    }
    this.closing = true;
    try {
      this.listener.close();
    } catch {
      // already closed
    }
    for (const sock of this.sockets) sock.close();
    await this.acceptLoop;
    await Promise.all([...this.tasks]);
  }
}

/**
 * TCP on the port driver: listeners, accepted and connected sockets (LANGUAGE.md §7).
 *
 * A socket handle keeps the bytes read and not yet consumed, and serves them either to the one
 * passive request of its owner (TCP_RECV of a chunk or of n bytes, TCP_RECV_LINE) or, in active
 * mode, as messages to the owner. Exactly one read is outstanding at a time, and only while
 * someone wants data, so a socket nobody reads from costs nothing and back-pressure reaches
 * the peer through TCP itself. Text is decoded with one streaming UTF-8 decoder per socket, so
 * a character split across reads is never mangled.
 *
 * Active mode: `once` delivers one message and turns itself off; `true` keeps delivering while
 * the owner has at most ACTIVE_BACKLOG messages of this socket unreceived, then pauses (the
 * port table's PAUSED bit) until the owner's receives bring the backlog down (REQ_RESUME).
 *
 * Writes: TCP_SEND sends the request without waiting while the socket's unwritten bytes stay
 * within WRITE_WINDOW_BYTES (the process accounts them in the port table); beyond that the
 * process waits for the reply, which comes when that write is done. Writes of a socket are
 * chained, so they leave in request order.
 */
import type { HostValue } from "../term/host.ts";
import { type PortDriver, PortError, type PortHandle } from "./driver.ts";
import { PS_PAUSED } from "./port_table.ts";
import type { PortRequest } from "./protocol.ts";

export const K_TCP = 0;
export const K_LISTENER = 1;
const ACTIVE_BACKLOG = 1000;
export const MAX_LINE_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;
export { WRITE_WINDOW_BYTES } from "./protocol.ts";
/** How long a closed socket may still try to write what was sent before the close. */
const LINGER_MS = 5000;

const OP_LISTEN = 0xb3, OP_LISTEN_ON = 0xba, OP_ACCEPT = 0xbb, OP_CONNECT = 0xb2;
const OP_SEND = 0xb4, OP_RECV = 0xb5, OP_RECV_LINE = 0xbc, OP_ACTIVE = 0xbd;

const NULL: HostValue = { kind: "null" };
const str = (value: string): HostValue => ({ kind: "str", value });
const conn = (connKind: string, id: number): HostValue => ({ kind: "conn", connKind, id });

export function hostPort(args: HostValue[]): [string, number] {
  const [h, p] = args;
  if (h?.kind !== "str" || p?.kind !== "int") throw new PortError("internal error: host/port");
  return [h.value, Number(p.value)];
}

/** The program's text for a failed listen or connect. */
export function netError(e: unknown, what: string, host: string, port: number): PortError {
  const where = `${host}:${port}`;
  if (e instanceof Deno.errors.ConnectionRefused) {
    return new PortError(`Connection refused: ${where}`);
  }
  if (e instanceof Deno.errors.AddrInUse) return new PortError(`Address in use: ${where}`);
  if (e instanceof Deno.errors.AddrNotAvailable) {
    return new PortError(`Address not available: ${where}`);
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new PortError(`Permission denied: ${where}`);
  }
  if (e instanceof Deno.errors.ConnectionReset) return new PortError(`Connection reset: ${where}`);
  if (e instanceof Deno.errors.TimedOut) return new PortError(`Connection timed out: ${where}`);
  const msg = e instanceof Error ? e.message : String(e);
  if (/lookup address|Name or service not known|not known/i.test(msg)) {
    return new PortError(`DNS lookup failed: ${host}`);
  }
  return new PortError(`${what} failed: ${where}: ${msg}`);
}

class TcpListener implements PortHandle {
  readonly kind = K_LISTENER;
  private readonly waiting: PortRequest[] = [];
  private accepting = false;
  private closed = false;

  constructor(
    private readonly driver: PortDriver,
    readonly id: number,
    private readonly listener: Deno.TcpListener,
  ) {}

  isSource(): boolean {
    return false; // an accept in flight is counted as in-flight work
  }

  accept(req: PortRequest): void {
    this.driver.begin();
    this.waiting.push(req);
    this.next();
  }

  private next(): void {
    if (this.accepting || this.closed || this.waiting.length === 0) return;
    this.accepting = true;
    this.listener.accept().then(
      (c) => {
        const req = this.waiting.shift()!;
        const socket = openSocket(this.driver, c, req.from);
        this.driver.reply(req, conn("tcp", socket.id));
        this.driver.end();
      },
      (e) => {
        if (this.closed) return;
        const req = this.waiting.shift()!;
        this.driver.fail(req, `Accept failed: ${e instanceof Error ? e.message : e}`);
        this.driver.end();
      },
    ).finally(() => {
      this.accepting = false;
      this.next();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener.close();
    // Whoever still waits for a client is the owner, which is exiting or closed it.
    for (const req of this.waiting.splice(0)) {
      this.driver.fail(req, `Connection closed: Connection(tcp_listener#${this.id})`);
      this.driver.end();
    }
  }
}

type Waiter = { req: PortRequest; size: number; line: boolean };

class TcpSocket implements PortHandle {
  readonly kind = K_TCP;
  private buf: Uint8Array = new Uint8Array(0);
  private eof = false;
  private eofDelivered = false;
  private error: string | null = null;
  private reading = false;
  private closed = false;
  private waiter: Waiter | null = null;
  /** 0 passive, 1 active, 2 once. */
  private active = 0;
  private readonly decoder = new TextDecoder();
  private writing: Promise<void> = Promise.resolve();
  private landing = new Uint8Array(4096);

  constructor(
    private readonly driver: PortDriver,
    readonly id: number,
    private readonly conn: Deno.TcpConn,
  ) {}

  isSource(): boolean {
    return this.active !== 0 && !this.closed && !this.eofDelivered;
  }

  recv(req: PortRequest, size: number, line: boolean): void {
    if (this.waiter !== null) {
      this.driver.fail(req, "internal error: two receives on one socket");
      return;
    }
    if (this.active !== 0) {
      this.driver.fail(req, `Connection is in active mode: Connection(tcp#${this.id})`);
      return;
    }
    this.driver.begin();
    this.waiter = { req, size, line };
    this.pump();
  }

  setActive(mode: number): void {
    this.active = mode;
    this.pump();
  }

  resume(): void {
    this.pump();
  }

  send(req: PortRequest, data: Uint8Array): void {
    const { driver, id } = this;
    driver.begin();
    this.writing = this.writing.then(async () => {
      try {
        let off = 0;
        while (off < data.length) off += await this.conn.write(data.subarray(off));
        if (req.seq !== 0) driver.reply(req, { kind: "int", value: BigInt(data.length) });
      } catch (e) {
        if (req.seq !== 0 && !this.closed) driver.fail(req, writeError(e, id));
      } finally {
        driver.ports.addPendingWrite(id, -data.length);
        driver.end();
      }
    });
  }

  /** Serve what the buffer allows, then read more if someone wants data. */
  private pump(): void {
    while (!this.closed) {
      if (this.waiter !== null) {
        const answer = this.answer(this.waiter);
        if (answer === undefined) break;
        const { req } = this.waiter;
        this.waiter = null;
        if (answer instanceof PortError) this.driver.fail(req, answer.message);
        else this.driver.reply(req, answer);
        this.driver.end();
        continue;
      }
      if (this.active !== 0 && !this.paused() && this.deliverActive()) continue;
      break;
    }
    const wants = this.waiter !== null || (this.active !== 0 && !this.paused());
    if (wants && !this.reading && !this.eof && !this.closed) this.read();
  }

  private paused(): boolean {
    return (this.driver.ports.state(this.id) & PS_PAUSED) !== 0;
  }

  /** One active message from the buffer (data, end, error); false when there is nothing. */
  private deliverActive(): boolean {
    const owner = this.driver.ports.owner(this.id);
    let value: HostValue | null = null;
    if (this.buf.length > 0) {
      const text = this.decoder.decode(this.buf, { stream: !this.eof });
      this.buf = new Uint8Array(0);
      if (text === "") return true; // half a character: wait for the rest
      value = this.message("tcp", [["data", str(text)]]);
    } else if (this.eof && !this.eofDelivered) {
      this.eofDelivered = true;
      value = this.error !== null
        ? this.message("tcp_error", [["reason", str(this.error)]])
        : this.message("tcp_closed", []);
    } else {
      return false;
    }
    const delivered = this.driver.message(owner, value, this.id);
    if (this.active === 2) this.active = 0;
    else if (delivered && this.driver.ports.addUnreceived(this.id, 0) > ACTIVE_BACKLOG) {
      this.driver.ports.setState(this.id, PS_PAUSED);
    }
    return true;
  }

  private message(type: string, rest: Array<[string, HostValue]>): HostValue {
    return {
      kind: "object",
      entries: [["type", str(type)], ["conn", conn("tcp", this.id)], ...rest],
    };
  }

  /** The answer to a passive receive from the buffer, or undefined when more data is needed. */
  private answer(w: Waiter): HostValue | PortError | undefined {
    const buf = this.buf;
    if (w.line) {
      const nl = buf.indexOf(10);
      if (nl >= 0) {
        const end = nl > 0 && buf[nl - 1] === 13 ? nl - 1 : nl;
        this.buf = buf.subarray(nl + 1);
        return str(new TextDecoder().decode(buf.subarray(0, end)));
      }
      if (buf.length > MAX_LINE_BYTES) return new PortError("Line too long");
      if (!this.eof) return undefined;
      if (this.error !== null && buf.length === 0) return new PortError(this.error);
      this.buf = new Uint8Array(0);
      return buf.length > 0 ? str(new TextDecoder().decode(buf)) : NULL;
    }
    if (w.size === 0) {
      if (buf.length > 0) {
        this.buf = new Uint8Array(0);
        const text = this.decoder.decode(buf, { stream: true });
        if (text !== "") return str(text);
      }
      if (!this.eof) return undefined;
      const rest = this.decoder.decode();
      if (rest !== "") return str(rest);
      return this.error !== null ? new PortError(this.error) : NULL;
    }
    if (buf.length >= w.size) {
      this.buf = buf.subarray(w.size);
      return str(this.decoder.decode(buf.subarray(0, w.size), { stream: true }));
    }
    if (!this.eof) return undefined;
    this.buf = new Uint8Array(0);
    if (buf.length > 0) return str(this.decoder.decode(buf));
    return this.error !== null ? new PortError(this.error) : NULL;
  }

  private read(): void {
    this.reading = true;
    // The socket's own landing buffer, reused (a fresh 64 KiB array per read made half of an
    // echo server's time garbage collection): small while reads are small, grown when a read
    // fills it. One read is in flight per socket; the bytes are copied out before the next.
    const chunk = this.landing;
    this.conn.read(chunk).then(
      (n) => {
        if (n === null) this.eof = true;
        else {
          this.append(chunk.slice(0, n));
          if (n === chunk.length && chunk.length < READ_CHUNK_BYTES) {
            this.landing = new Uint8Array(chunk.length * 4);
          }
        }
      },
      (e) => {
        this.eof = true;
        // A peer that resets is an end of stream, as for Erlang's {tcp_closed, …}.
        if (!(e instanceof Deno.errors.ConnectionReset) && !this.closed) {
          this.error = e instanceof Error ? e.message : String(e);
        }
      },
    ).finally(() => {
      this.reading = false;
      this.pump();
    });
  }

  private append(bytes: Uint8Array): void {
    if (this.buf.length === 0) {
      this.buf = bytes;
      return;
    }
    const next = new Uint8Array(this.buf.length + bytes.length);
    next.set(this.buf);
    next.set(bytes, this.buf.length);
    this.buf = next;
  }

  /** Close after the writes already sent (a TCP_SEND that did not wait is not lost). */
  close(): Promise<void> | void {
    if (this.closed) return;
    this.closed = true;
    const shut = () => {
      try {
        this.conn.close();
      } catch {
        // already closed (by the peer, or by the linger timer)
      }
    };
    // A peer that never reads must not keep the socket forever.
    const linger = setTimeout(shut, LINGER_MS);
    Deno.unrefTimer(linger);
    const done = this.writing.finally(() => {
      clearTimeout(linger);
      shut();
    });
    if (this.waiter !== null) {
      this.driver.fail(this.waiter.req, `Connection closed: Connection(tcp#${this.id})`);
      this.waiter = null;
      this.driver.end();
    }
    return done;
  }
}

function writeError(e: unknown, id: number): string {
  if (e instanceof Deno.errors.BrokenPipe || e instanceof Deno.errors.ConnectionReset) {
    return `Connection closed: Connection(tcp#${id})`;
  }
  return `Send failed: ${e instanceof Error ? e.message : e}`;
}

function openSocket(driver: PortDriver, c: Deno.TcpConn, owner: number): TcpSocket {
  c.setNoDelay(true);
  const id = driver.ports.create(K_TCP, owner, (c.localAddr as Deno.NetAddr).port);
  const socket = new TcpSocket(driver, id, c);
  driver.add(socket, owner);
  return socket;
}

function socketOf(driver: PortDriver, req: PortRequest): TcpSocket | null {
  const h = driver.get(req.handle);
  if (h instanceof TcpSocket) return h;
  driver.fail(req, `Connection closed: Connection(tcp#${req.handle})`);
  return null;
}

export function registerTcp(driver: PortDriver): void {
  const listen = (d: PortDriver, req: PortRequest) => {
    const [host, port] = hostPort(req.args);
    let l: Deno.TcpListener;
    try {
      l = Deno.listen({ hostname: host, port, transport: "tcp" });
    } catch (e) {
      throw netError(e, "Listen", host, port);
    }
    const id = d.ports.create(K_LISTENER, req.from, (l.addr as Deno.NetAddr).port);
    d.add(new TcpListener(d, id, l), req.from);
    d.reply(req, conn("tcp_listener", id));
  };
  driver.on(OP_LISTEN, listen);
  driver.on(OP_LISTEN_ON, listen);
  driver.on(OP_ACCEPT, (d, req) => {
    const h = d.get(req.handle);
    if (h instanceof TcpListener) h.accept(req);
    else d.fail(req, `Connection closed: Connection(tcp_listener#${req.handle})`);
  });
  driver.on(OP_CONNECT, (d, req) => {
    const [host, port] = hostPort(req.args);
    d.start(req, async () => {
      let c: Deno.TcpConn;
      try {
        c = await Deno.connect({ hostname: host, port, transport: "tcp" });
      } catch (e) {
        throw netError(e, "Connect", host, port);
      }
      return conn("tcp", openSocket(d, c, req.from).id);
    });
  });
  driver.on(OP_SEND, (d, req) => {
    const data = req.args[0];
    const s = socketOf(d, req);
    if (s === null) {
      if (data?.kind === "bytes") d.ports.addPendingWrite(req.handle, -data.value.length);
      return;
    }
    if (data?.kind !== "bytes") throw new PortError("internal error: TCP_SEND without bytes");
    s.send(req, data.value);
  });
  driver.on(OP_RECV, (d, req) => socketOf(d, req)?.recv(req, req.a, false));
  driver.on(OP_RECV_LINE, (d, req) => socketOf(d, req)?.recv(req, 0, true));
  driver.on(OP_ACTIVE, (d, req) => {
    const h = d.get(req.handle);
    if (h instanceof TcpSocket) h.setActive(req.a);
    else if (h !== undefined && "setActive" in h) {
      (h as { setActive(m: number): void }).setActive(req.a);
    }
  });
}

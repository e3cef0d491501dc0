/**
 * UDP sockets and DNS on the port driver (LANGUAGE.md §7). A UDP socket keeps the datagrams
 * that arrived and serves them to the owner's UDP_RECV, or — in active mode (TCP_ACTIVE works on
 * UDP sockets too) — as `{type: "udp", conn, data, host, port}` messages. Node's dgram module
 * is used because it needs no unstable flag in Deno (loaded on first use: host/node_builtin.ts).
 */
import type dgram from "node:dgram";
import { nodeBuiltin } from "../host/node_builtin.ts";
import type { HostValue } from "../term/host.ts";
import { type PortDriver, PortError, type PortHandle } from "./driver.ts";
import { PS_PAUSED } from "./port_table.ts";
import type { PortRequest } from "./protocol.ts";
import { hostPort, netError } from "./tcp.ts";

const K_UDP = 2;
const OP_BIND = 0xb6, OP_BIND_ON = 0xd4, OP_SEND = 0xb7, OP_RECV = 0xb8, OP_DNS = 0xb9;
/** Datagrams kept for a socket nobody reads from; beyond it the oldest are dropped (UDP). */
const MAX_QUEUED = 10_000;
const ACTIVE_BACKLOG = 1000;

const str = (value: string): HostValue => ({ kind: "str", value });
const decoder = new TextDecoder();

interface Datagram {
  data: Uint8Array;
  host: string;
  port: number;
}

class UdpSocket implements PortHandle {
  readonly kind = K_UDP;
  private readonly queue: Datagram[] = [];
  private waiter: PortRequest | null = null;
  private active = 0;
  private closed = false;

  constructor(
    private readonly driver: PortDriver,
    readonly id: number,
    readonly socket: dgram.Socket,
  ) {
    socket.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
      if (this.queue.length >= MAX_QUEUED) this.queue.shift();
      this.queue.push({ data: new Uint8Array(msg), host: rinfo.address, port: rinfo.port });
      this.pump();
    });
  }

  isSource(): boolean {
    return this.active !== 0 && !this.closed;
  }

  recv(req: PortRequest): void {
    if (this.waiter !== null || this.active !== 0) {
      this.driver.fail(req, `Connection is in active mode: Connection(udp#${this.id})`);
      return;
    }
    this.driver.begin();
    this.waiter = req;
    this.pump();
  }

  setActive(mode: number): void {
    this.active = mode;
    this.pump();
  }

  resume(): void {
    this.pump();
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      if (this.waiter !== null) {
        const d = this.queue.shift()!;
        this.driver.reply(this.waiter, this.fields(d, []));
        this.waiter = null;
        this.driver.end();
        continue;
      }
      if (this.active === 0 || (this.driver.ports.state(this.id) & PS_PAUSED)) return;
      const d = this.queue.shift()!;
      const owner = this.driver.ports.owner(this.id);
      const delivered = this.driver.message(
        owner,
        this.fields(d, [["type", str("udp")], ["conn", {
          kind: "conn",
          connKind: "udp",
          id: this.id,
        }]]),
        this.id,
      );
      if (this.active === 2) this.active = 0;
      else if (delivered && this.driver.ports.addUnreceived(this.id, 0) > ACTIVE_BACKLOG) {
        this.driver.ports.setState(this.id, PS_PAUSED);
      }
    }
  }

  private fields(d: Datagram, first: Array<[string, HostValue]>): HostValue {
    const text = decoder.decode(d.data);
    return {
      kind: "object",
      entries: [
        ...first,
        ["data", str(text)],
        ["host", str(d.host)],
        ["port", { kind: "int", value: BigInt(d.port) }],
      ],
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
    if (this.waiter !== null) {
      this.driver.fail(this.waiter, `Connection closed: Connection(udp#${this.id})`);
      this.waiter = null;
      this.driver.end();
    }
  }
}

export function registerUdp(driver: PortDriver): void {
  const bind = (d: PortDriver, req: PortRequest) => {
    const [host, port] = hostPort(req.args);
    d.start(req, () =>
      new Promise<HostValue>((resolve, reject) => {
        const s = nodeBuiltin("node:dgram").createSocket(host.includes(":") ? "udp6" : "udp4");
        s.once("error", (e) => reject(netError(e, "Bind", host, port)));
        s.bind(port, host, () => {
          const id = d.ports.create(K_UDP, req.from, s.address().port);
          d.add(new UdpSocket(d, id, s), req.from);
          resolve({ kind: "conn", connKind: "udp", id });
        });
      }));
  };
  driver.on(OP_BIND, bind);
  driver.on(OP_BIND_ON, bind);
  driver.on(OP_SEND, (d, req) => {
    const h = d.get(req.handle);
    if (!(h instanceof UdpSocket)) {
      d.fail(req, `Connection closed: Connection(udp#${req.handle})`);
      return;
    }
    const [hostV, portV, data] = req.args;
    if (hostV?.kind !== "str" || portV?.kind !== "int") throw new PortError("internal error");
    const bytes = data?.kind === "bytes"
      ? data.value
      : new TextEncoder().encode(data?.kind === "str" ? data.value : "");
    d.start(req, () =>
      new Promise<HostValue>((resolve, reject) => {
        h.socket.send(bytes, Number(portV.value), hostV.value, (e) => {
          if (e) reject(netError(e, "Send", hostV.value, Number(portV.value)));
          else resolve({ kind: "int", value: BigInt(bytes.length) });
        });
      }));
  });
  driver.on(OP_RECV, (d, req) => {
    const h = d.get(req.handle);
    if (h instanceof UdpSocket) h.recv(req);
    else d.fail(req, `Connection closed: Connection(udp#${req.handle})`);
  });
  driver.on(OP_DNS, (d, req) => {
    const host = req.args[0]?.kind === "str" ? req.args[0].value : "";
    d.start(req, async () => {
      try {
        const { address } = await nodeBuiltin("node:dns/promises").lookup(host);
        return str(address);
      } catch {
        throw new PortError(`DNS lookup failed: ${host}`);
      }
    });
  });
}

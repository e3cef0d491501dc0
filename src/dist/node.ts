/**
 * DistNode: this process as a node of an Erlang cluster. It listens on an ephemeral port,
 * registers with EPMD, accepts and opens connections (on demand when a signal is sent to a node
 * not yet connected), and hands every received signal to the VM through `onControl`, in order.
 *
 * Per peer node there is one entry, `pending` while a handshake is under way and `up` once a
 * connection is established. Signals sent while it is pending wait in the entry's queue and
 * leave, in order, ahead of anything sent later; if the connection cannot be made they are
 * dropped and `onNodeDown` reports the failure, so the VM turns links and monitors into
 * `noconnection` exits, as Erlang does.
 *
 * Simultaneous connect (both nodes open a connection at once): the acceptor whose own name is
 * greater answers "nok" and keeps its own attempt; the smaller one answers "ok_simultaneous",
 * abandons its attempt and lets the incoming handshake finish. A node told "nok" waits (bounded
 * by the handshake timeout) for the other's connection instead of failing. Names compare as
 * Erlang compares atoms (by code points). Either way exactly one connection results.
 *
 * The node answers on its own for a few system processes Erlang nodes talk to (`systemNames`,
 * default net_kernel, rex, global_name_server; see signals.ts): `net_adm:ping` gets `pong`, and
 * monitors on these names are accepted and never fire (they live as long as the node). The
 * typed senders (send, link, monitor, …) come from SignalSender in signals.ts.
 */
import { type ControlMessage, encodeControl, type ReceivedControl } from "./control.ts";
import { type ConnectionStats, DistConnection, encodeFrame } from "./connection.ts";
import {
  ensureEpmd,
  type EnsureEpmdOptions,
  EPMD_DEFAULT_PORT,
  type EpmdHandle,
  epmdPortPlease,
  epmdRegister,
  type EpmdRegistration,
} from "./epmd.ts";
import {
  acceptHandshake,
  type AcceptStatus,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DFLAG,
  DFLAGS_OFFERED,
  HandshakeError,
  initiateHandshake,
  type LocalIdentity,
  type PeerInfo,
} from "./handshake.ts";
import { answerAsEmptyNode, answerSystemCall, SignalSender } from "./signals.ts";
import { BufferedSocket, connectTcp } from "./socket.ts";
import { type ErlPid, type ErlRef, isAtom, pid, ref } from "./term.ts";
import { utf8Encoder } from "./bytes.ts";

export interface DistNodeEvents {
  /** Every signal received from `fromNode`, in arrival order (system traffic excepted). */
  onControl?: (fromNode: string, msg: ReceivedControl) => void;
  onNodeUp?: (node: string) => void;
  /** A connection ended, or one this node wanted could not be made. Fires once per loss. */
  onNodeDown?: (node: string, reason: string) => void;
}

export interface DistNodeOptions extends DistNodeEvents {
  /** `alive@host`, or just `alive` for `alive@<short host name>` (like `erl -sname`). */
  name: string;
  cookie: string;
  /** Port of the EPMDs this node registers with and asks (default 4369, on every host). */
  epmdPort?: number;
  /** Find or start an EPMD first (ensureEpmd); false expects one to be there. Default true. */
  startEpmd?: boolean | EnsureEpmdOptions;
  /** Address the distribution listener binds (default 0.0.0.0, as Erlang). */
  listenHostname?: string;
  /** Must equal the cluster's net_ticktime (default 60, Erlang's default). */
  netTickTimeS?: number;
  /** A hidden node is not published (Erlang's `-hidden`). */
  hidden?: boolean;
  handshakeTimeoutMs?: number;
  /** Largest frame accepted from a peer (default 128 MiB). */
  maxFrameBytes?: number;
  /** Registered names the node itself serves (default net_kernel, rex, global_name_server). */
  systemNames?: readonly string[];
  /** Test hook: runs after our outgoing TCP connect, before our name is sent. */
  beforeSendName?: (peer: string) => Promise<void>;
}

interface Peer {
  readonly name: string;
  state: "pending" | "up";
  conn?: DistConnection;
  /** Signals sent while pending, in order. */
  queue: ControlMessage[];
  waiters: ((ok: boolean) => void)[];
  /** Somebody asked for this connection (connect or a send): a failure is a nodedown. */
  wanted: boolean;
  /** Our own attempt: running, abandoned for the peer's (ok_simultaneous), or told nok. */
  outgoing: "none" | "running" | "abandoned" | "told_nok";
  outSock?: BufferedSocket;
  /** The accepted handshake that owns this entry, if any. */
  incoming?: BufferedSocket;
  waitTimer?: ReturnType<typeof setTimeout>;
}

const DEFAULT_SYSTEM_NAMES = ["net_kernel", "rex", "global_name_server"];
const EPMD_RETRY_MS = 2000;

/** Erlang atom order for node names: by code point, i.e. by UTF-8 bytes. */
export function compareNodeNames(a: string, b: string): number {
  const x = utf8Encoder.encode(a), y = utf8Encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export function splitNodeName(node: string): { alive: string; host: string } {
  const at = node.indexOf("@");
  if (at <= 0 || at === node.length - 1 || node.indexOf("@", at + 1) >= 0) {
    throw new Error(`bad node name "${node}": expected alive@host`);
  }
  return { alive: node.slice(0, at), host: node.slice(at + 1) };
}

export class DistNode extends SignalSender implements DistNodeEvents {
  onControl?: (fromNode: string, msg: ReceivedControl) => void;
  onNodeUp?: (node: string) => void;
  onNodeDown?: (node: string, reason: string) => void;

  readonly name: string;
  /** This incarnation's creation (from EPMD), carried by every pid and reference we make. */
  readonly creation: number;
  readonly cookie: string;
  /** Handshake outcomes as acceptor (names received, statuses sent) and as initiator. */
  readonly counters = {
    namesReceived: 0,
    nokSent: 0,
    okSimultaneousSent: 0,
    aliveSent: 0,
    nokReceived: 0,
  };
  private readonly peers = new Map<string, Peer>();
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly handshaking = new Set<BufferedSocket>();
  private readonly identity: LocalIdentity;
  private readonly systemNames: Set<string>;
  private readonly netTickTimeMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly refSalt = crypto.getRandomValues(new Uint32Array(1))[0];
  private refCounter = 0;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly epmdHandles: EpmdHandle[] = [];

  private constructor(
    private readonly opts: DistNodeOptions,
    name: string,
    private readonly listener: Deno.Listener,
    private registration: EpmdRegistration,
    epmd: EpmdHandle | undefined,
  ) {
    super();
    if (epmd) this.epmdHandles.push(epmd);
    this.name = name;
    this.cookie = opts.cookie;
    this.creation = registration.creation;
    this.onControl = opts.onControl;
    this.onNodeUp = opts.onNodeUp;
    this.onNodeDown = opts.onNodeDown;
    this.systemNames = new Set(opts.systemNames ?? DEFAULT_SYSTEM_NAMES);
    this.netTickTimeMs = (opts.netTickTimeS ?? 60) * 1000;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.identity = {
      name,
      cookie: opts.cookie,
      creation: this.creation,
      flags: DFLAGS_OFFERED | (opts.hidden ? 0n : DFLAG.PUBLISHED),
    };
    this.track(this.acceptLoop());
    this.track(this.keepRegistered());
  }

  /** Starts listening, registers with EPMD (starting one if needed) and returns the node. */
  static async start(opts: DistNodeOptions): Promise<DistNode> {
    const name = opts.name.includes("@")
      ? opts.name
      : `${opts.name}@${Deno.hostname().split(".")[0]}`;
    const { alive } = splitNodeName(name);
    const epmdPort = opts.epmdPort ?? EPMD_DEFAULT_PORT;
    const epmd = opts.startEpmd === false
      ? undefined
      : await ensureEpmd(epmdPort, typeof opts.startEpmd === "object" ? opts.startEpmd : {});
    let listener: Deno.Listener | undefined;
    try {
      listener = Deno.listen({ hostname: opts.listenHostname ?? "0.0.0.0", port: 0 });
      const registration = await epmdRegister({
        name: alive,
        listenPort: (listener.addr as Deno.NetAddr).port,
        port: epmdPort,
        hidden: opts.hidden,
      });
      return new DistNode(opts, name, listener, registration, epmd);
    } catch (e) {
      listener?.close();
      await epmd?.release();
      throw e;
    }
  }

  /** The distribution port this node listens on. */
  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  private track<T>(task: Promise<T>): void {
    const t = task.catch(() => {}).finally(() => this.tasks.delete(t));
    this.tasks.add(t);
  }

  // ── identities ───────────────────────────────────────────────────────────────────────────

  /** The pid of local process number `n` (0 ≤ n < 2^53): id = low 32 bits, serial = the rest. */
  pidOf(n: number): ErlPid {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad local process number ${n}`);
    return pid(this.name, n % 2 ** 32, Math.floor(n / 2 ** 32), this.creation);
  }

  /** The local process number of a pid of this node incarnation, else undefined. */
  localNumberOf(p: ErlPid): number | undefined {
    if (p.node !== this.name || p.creation !== this.creation) return undefined;
    return p.serial * 2 ** 32 + p.id;
  }

  /** A new reference of this node, unique for this incarnation (NEWER_REFERENCE_EXT). */
  makeRef(): ErlRef {
    const n = ++this.refCounter;
    return ref(this.name, this.creation, [
      n % 2 ** 18,
      Math.floor(n / 2 ** 18) >>> 0,
      this.refSalt,
    ]);
  }

  isLocal(term: ErlPid | ErlRef): boolean {
    return term.node === this.name && term.creation === this.creation;
  }

  // ── connections ──────────────────────────────────────────────────────────────────────────

  /** Names of the nodes connected now. */
  nodes(): string[] {
    return [...this.peers.values()].filter((p) => p.state === "up").map((p) => p.name);
  }

  isConnected(node: string): boolean {
    return this.peers.get(node)?.state === "up";
  }

  /** Flags the peer offered, while connected. */
  peerFlags(node: string): bigint | undefined {
    return this.peers.get(node)?.conn?.peer.flags;
  }

  /** Traffic counters of the connection to `node`, while connected. */
  connectionStats(node: string): ConnectionStats | undefined {
    return this.peers.get(node)?.conn?.stats;
  }

  /** Bytes queued towards `node` and not yet written (0 when not connected). */
  pendingBytes(node: string): number {
    return this.peers.get(node)?.conn?.pendingBytes ?? 0;
  }

  /** net_kernel:connect_node/1: true once connected (now or already), false if it fails. */
  connect(node: string): Promise<boolean> {
    if (node === this.name) return Promise.resolve(true);
    try {
      splitNodeName(node);
    } catch {
      return Promise.resolve(false);
    }
    if (this.stopping) return Promise.resolve(false);
    const peer = this.peers.get(node) ?? this.beginConnect(node);
    if (peer.state === "up") return Promise.resolve(true);
    peer.wanted = true;
    return new Promise((resolve) => peer.waiters.push(resolve));
  }

  /** erlang:disconnect_node/1: drops the connection (or the attempt); false if there was none. */
  disconnect(node: string): boolean {
    const peer = this.peers.get(node);
    if (!peer) return false;
    if (peer.conn) peer.conn.close("disconnected");
    else this.fail(peer, "disconnected");
    return true;
  }

  private newPeer(node: string): Peer {
    const peer: Peer = {
      name: node,
      state: "pending",
      queue: [],
      waiters: [],
      wanted: false,
      outgoing: "none",
    };
    this.peers.set(node, peer);
    return peer;
  }

  private beginConnect(node: string): Peer {
    const peer = this.newPeer(node);
    peer.outgoing = "running";
    this.track(this.runOutgoing(peer));
    return peer;
  }

  private async runOutgoing(peer: Peer): Promise<void> {
    try {
      // A bad name fails like an unreachable node (sendControl does not check names).
      const { alive, host } = splitNodeName(peer.name);
      const info = await epmdPortPlease(alive, {
        hostname: host,
        port: this.opts.epmdPort ?? EPMD_DEFAULT_PORT,
        timeoutMs: this.handshakeTimeoutMs,
      });
      if (!info) throw new Error(`${alive} is not registered with the EPMD on ${host}`);
      if (info.highestVersion < 6) {
        throw new Error(`${peer.name} only speaks version 5 (before OTP 23)`);
      }
      if (peer.outgoing !== "running") return;
      const sock = await connectTcp(host, info.port, this.handshakeTimeoutMs);
      this.handshaking.add(sock);
      peer.outSock = sock;
      let established = false;
      try {
        if (peer.outgoing !== "running") return;
        await this.opts.beforeSendName?.(peer.name);
        if (peer.outgoing !== "running") return;
        const peerInfo = await initiateHandshake(sock, this.identity, {
          peer: peer.name,
          timeoutMs: this.handshakeTimeoutMs,
          onAlive: () => peer.state !== "up",
        });
        if (this.peers.get(peer.name) !== peer || peer.state === "up" || this.stopping) return;
        peer.outgoing = "none";
        this.establish(peer, sock, peerInfo);
        established = true;
      } finally {
        this.handshaking.delete(sock);
        if (peer.outSock === sock) peer.outSock = undefined;
        if (!established) sock.close();
      }
    } catch (e) {
      if (this.peers.get(peer.name) !== peer || peer.state === "up") return;
      if (e instanceof HandshakeError && e.reason === "nok") {
        peer.outgoing = "told_nok";
        this.counters.nokReceived++;
      }
      if (peer.outgoing === "abandoned" || peer.outgoing === "told_nok") {
        // The peer's own connection to us decides; wait for it, but not for ever.
        if (!peer.incoming) this.awaitIncoming(peer);
        return;
      }
      peer.outgoing = "none";
      this.fail(peer, `cannot connect to ${peer.name}: ${(e as Error).message}`);
    }
  }

  private awaitIncoming(peer: Peer): void {
    clearTimeout(peer.waitTimer);
    peer.waitTimer = setTimeout(() => {
      if (this.peers.get(peer.name) === peer && peer.state === "pending" && !peer.incoming) {
        this.fail(peer, `simultaneous connect with ${peer.name} did not complete`);
      }
    }, this.handshakeTimeoutMs);
  }

  /** An attempt is over without a connection: drop its queue and tell whoever wanted it. */
  private fail(peer: Peer, reason: string): void {
    if (this.peers.get(peer.name) !== peer || peer.state === "up") return;
    this.peers.delete(peer.name);
    clearTimeout(peer.waitTimer);
    peer.outgoing = "abandoned";
    peer.outSock?.close();
    peer.incoming?.close();
    peer.queue = [];
    for (const w of peer.waiters.splice(0)) w(false);
    if (peer.wanted) this.onNodeDown?.(peer.name, reason);
  }

  private establish(peer: Peer, sock: BufferedSocket, info: PeerInfo): void {
    clearTimeout(peer.waitTimer);
    peer.state = "up";
    peer.incoming = undefined;
    if (peer.outSock && peer.outSock !== sock) peer.outSock.close();
    peer.outSock = undefined;
    const conn = new DistConnection(
      sock,
      info,
      { netTickTimeMs: this.netTickTimeMs, maxFrameBytes: this.opts.maxFrameBytes ?? 128 << 20 },
      {
        onMessage: (msg) => this.dispatch(peer.name, msg),
        onClose: (reason) => {
          if (this.peers.get(peer.name) === peer) this.peers.delete(peer.name);
          this.track(conn.finished());
          this.onNodeDown?.(peer.name, reason);
        },
      },
    );
    peer.conn = conn;
    conn.start();
    for (const msg of peer.queue.splice(0)) {
      try {
        conn.send(msg);
      } catch {
        // A kind of signal this peer does not take (e.g. ALIAS_SEND without DFLAG_ALIAS):
        // dropped, as Erlang drops what a peer cannot receive.
      }
    }
    this.onNodeUp?.(peer.name);
    for (const w of peer.waiters.splice(0)) w(true);
  }

  private async acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.listener.accept();
      } catch {
        return; // listener closed
      }
      if (this.stopping) {
        conn.close();
        continue;
      }
      (conn as Deno.TcpConn).setNoDelay(true);
      this.track(this.runIncoming(new BufferedSocket(conn)));
    }
  }

  private async runIncoming(sock: BufferedSocket): Promise<void> {
    this.handshaking.add(sock);
    let claimed: Peer | undefined;
    try {
      const info = await acceptHandshake(sock, this.identity, {
        timeoutMs: this.handshakeTimeoutMs,
        decide: (p) => {
          const status = this.decide(p.name, sock);
          if (status === "ok" || status === "ok_simultaneous") claimed = this.peers.get(p.name);
          return status;
        },
        onReplace: (name) => {
          const old = this.peers.get(name);
          old?.conn?.close("replaced by a new connection from the same node");
          claimed = this.newPeer(name);
          claimed.incoming = sock;
        },
      });
      if (!claimed || this.peers.get(info.name) !== claimed || this.stopping) {
        sock.close();
        return;
      }
      this.handshaking.delete(sock);
      this.establish(claimed, sock, info);
    } catch (e) {
      sock.close();
      if (claimed && claimed.incoming === sock && claimed.state === "pending") {
        claimed.incoming = undefined;
        if (
          claimed.outgoing === "none" || claimed.outgoing === "abandoned" ||
          claimed.outgoing === "told_nok"
        ) {
          this.fail(claimed, `handshake with ${claimed.name} failed: ${(e as Error).message}`);
        }
      }
    } finally {
      this.handshaking.delete(sock);
    }
  }

  /** The acceptor's status for a peer that just sent its name (see the header). */
  private decide(name: string, sock: BufferedSocket): AcceptStatus {
    this.counters.namesReceived++;
    const status = this.decideStatus(name, sock);
    if (status === "nok") this.counters.nokSent++;
    if (status === "ok_simultaneous") this.counters.okSimultaneousSent++;
    if (status === "alive") this.counters.aliveSent++;
    return status;
  }

  private decideStatus(name: string, sock: BufferedSocket): AcceptStatus {
    if (this.stopping || name === this.name) return "not_allowed";
    const existing = this.peers.get(name);
    if (!existing) {
      const peer = this.newPeer(name);
      peer.incoming = sock;
      return "ok";
    }
    if (existing.state === "up") return "alive";
    if (existing.incoming) return "nok"; // another handshake from it is already under way
    if (existing.outgoing === "running") {
      if (compareNodeNames(this.name, name) > 0) return "nok";
      existing.outgoing = "abandoned";
      existing.outSock?.close();
    }
    clearTimeout(existing.waitTimer);
    existing.incoming = sock;
    return existing.outgoing === "abandoned" ? "ok_simultaneous" : "ok";
  }

  // ── receiving and sending ────────────────────────────────────────────────────────────────

  private dispatch(fromNode: string, msg: ReceivedControl): void {
    if (msg.op === "REG_SEND" && this.systemNames.has(msg.toName)) {
      return answerSystemCall(this, msg.toName, msg.message);
    }
    if (
      (msg.op === "MONITOR_P" || msg.op === "DEMONITOR_P") && isAtom(msg.to) &&
      this.systemNames.has(msg.to.name)
    ) return; // a system process outlives every monitor on it
    if (this.onControl) this.onControl(fromNode, msg);
    else answerAsEmptyNode(this, msg);
  }

  /**
   * Sends one control message to `node`, connecting first if needed. Signals to one node leave
   * in call order. Throws for this node itself (local delivery is the VM's) and, on a live
   * connection, with ControlError when the peer cannot take that kind of signal.
   */
  sendControl(node: string, msg: ControlMessage): void {
    if (node === this.name) throw new Error(`${msg.op} to ${node} is local: the VM delivers it`);
    if (this.stopping) return;
    const existing = this.peers.get(node);
    if (existing?.state === "up") {
      existing.conn!.send(msg);
      return;
    }
    // Encoded now only to refuse a bad term to the caller (it is encoded for real, for the
    // peer's flags, once the connection is up).
    const { control, payload } = encodeControl(msg, DFLAGS_OFFERED);
    encodeFrame(control, payload);
    const peer = existing ?? this.beginConnect(node);
    peer.wanted = true;
    peer.queue.push(msg);
  }

  // ── EPMD registration and shutdown ───────────────────────────────────────────────────────

  /** If EPMD goes away (e.g. the process serving it exited), register again with a new one. */
  private async keepRegistered(): Promise<void> {
    const { alive } = splitNodeName(this.name);
    const port = this.opts.epmdPort ?? EPMD_DEFAULT_PORT;
    await this.registration.closed;
    while (!this.stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, EPMD_RETRY_MS);
        this.wake = () => (clearTimeout(timer), resolve());
      });
      if (this.stopping) return;
      try {
        // An embedded server started here must outlive this registration: kept until stop().
        if (this.opts.startEpmd !== false) {
          const handle = await ensureEpmd(port, {});
          if (handle.kind === "embedded") this.epmdHandles.push(handle);
        }
        this.registration = await epmdRegister({
          name: alive,
          listenPort: this.port,
          port,
          hidden: this.opts.hidden,
        });
        await this.registration.closed;
      } catch {
        // try again later
      }
    }
  }

  /** Waits (at most `timeoutMs`) until everything sent so far has been written: no signal
   *  waits for a connection being set up and no connection has bytes queued. A node that ends
   *  calls this before `stop`, so its last messages are not lost. */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const busy = () =>
      [...this.peers.values()].some((p) =>
        p.state === "pending" ? p.queue.length > 0 : (p.conn?.pendingBytes ?? 0) > 0
      );
    while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  /** Closes every connection (reporting each as down), unregisters and stops listening. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.();
    try {
      this.listener.close();
    } catch {
      // already closed
    }
    for (const peer of [...this.peers.values()]) {
      if (peer.conn) peer.conn.close("node stopped");
      else this.fail(peer, "node stopped");
    }
    for (const sock of this.handshaking) sock.close();
    await this.registration.close();
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    for (const handle of this.epmdHandles.splice(0)) await handle.release();
  }
}

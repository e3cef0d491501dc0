/**
 * HTTP on the port driver (LANGUAGE.md §7).
 *
 * Client: HTTP_GET / HTTP_POST / HTTP_REQUEST are `fetch` calls; every status is a result
 * `{status, headers, body}` (header names lower-case); only a network failure or a bad URL is
 * an error, `HTTP request failed: <url>: <reason>`.
 *
 * Server: HTTP_LISTEN serves HTTP/1.1 with Deno.serve. Each request becomes a handle (an
 * `http_request` Connection) and a message to the listener's owner:
 * `{type: "http_request", request, method, path, query, headers, body}`. Whichever process
 * holds the request answers it (HTTP_RESPOND, once — the port table's ANSWERED bit decides);
 * a request not answered within ANSWER_TIMEOUT_MS, or whose holder dies, is answered 503.
 * Deno.serve waits on the returned promise, so an unanswered request costs no thread.
 */
import type { HostValue } from "../term/host.ts";
import { type PortDriver, PortError, type PortHandle } from "./driver.ts";
import { PS_ANSWERED } from "./port_table.ts";
import type { PortRequest } from "./protocol.ts";
import { hostPort, netError } from "./tcp.ts";

const K_HTTP_LISTENER = 3;
const K_HTTP_REQUEST = 4;
const OP_GET = 0xb0, OP_POST = 0xb1, OP_REQUEST = 0xd5;
const OP_LISTEN = 0xd6, OP_LISTEN_ON = 0xd7, OP_RESPOND = 0xd8;
export const ANSWER_TIMEOUT_MS = 30_000;

const str = (value: string): HostValue => ({ kind: "str", value });
const text = (v: HostValue | undefined): string => (v?.kind === "str" ? v.value : "");

function headersObject(h: Headers): HostValue {
  const entries: Array<[string, HostValue]> = [];
  h.forEach((value, name) => entries.push([name.toLowerCase(), str(value)]));
  return { kind: "object", entries };
}

/** Header values from a VM Object (values in their PRINT form). */
function headerInit(v: HostValue | undefined): Array<[string, string]> {
  if (v?.kind !== "object") return [];
  return v.entries.map(([k, x]) => [k, x.kind === "str" ? x.value : hostText(x)]);
}

function hostText(v: HostValue): string {
  switch (v.kind) {
    case "int":
      return String(v.value);
    case "float":
    case "bool":
      return String(v.value);
    case "null":
      return "null";
    default:
      return "";
  }
}

function bodyOf(v: HostValue | undefined): BodyInit | undefined {
  if (v?.kind === "bytes") return v.value as Uint8Array<ArrayBuffer>;
  if (v?.kind === "str") return v.value;
  return undefined;
}

class HttpListener implements PortHandle {
  readonly kind = K_HTTP_LISTENER;

  constructor(
    readonly id: number,
    private readonly server: Deno.HttpServer,
    private readonly deadlines: AnswerDeadlines,
  ) {}

  isSource(): boolean {
    return true; // requests may arrive at any time while it listens
  }

  /** Stop accepting; requests in flight are still answered (the run waits for that). */
  close(): Promise<void> {
    this.deadlines.close();
    return this.server.shutdown().catch(() => {});
  }
}

/**
 * The answer deadlines of a server's requests. Every request gets the same timeout, so the
 * unanswered ones, in arrival order, are in deadline order: one timer, armed for the oldest,
 * replaces a timer per request (creating and clearing one cost ~5 % of a request's JavaScript).
 * An answered request leaves at once. The timer is not cleared when none is left (a server
 * answering one request at a time would otherwise re-arm it for every request): it fires,
 * finds nothing and stays off until the next request — except once a listener has closed
 * (the run is ending), when an empty queue clears it at once.
 */
export class AnswerDeadlines {
  /** Unanswered requests by handle id, oldest first (Map keeps insertion order). */
  private readonly pending = new Map<number, number>();
  private timer: unknown;
  private closing = false;

  constructor(
    private readonly expire: (id: number) => void,
    private readonly timeoutMs = ANSWER_TIMEOUT_MS,
    private readonly clock: DeadlineClock = realClock,
  ) {}

  /** A listener closed: no timer outlives the last unanswered request. */
  close(): void {
    this.closing = true;
    if (this.pending.size === 0) this.stop();
  }

  private stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  add(id: number): void {
    this.pending.set(id, this.clock.now() + this.timeoutMs);
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  answered(id: number): void {
    if (this.pending.delete(id) && this.pending.size === 0 && this.closing) this.stop();
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.sweep(), Math.max(0, ms));
  }

  private sweep(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (const [id, deadline] of this.pending) {
      if (deadline > now) {
        this.arm(deadline - now);
        return;
      }
      this.pending.delete(id);
      this.expire(id); // answers 503 (HttpRequest.close)
    }
  }
}

/**
 * Time and one-shot timers for AnswerDeadlines. A server uses the real ones; a test passes a
 * clock it advances by hand, so what expires when does not depend on how busy the machine is.
 */
export interface DeadlineClock {
  now(): number;
  /** Returns a handle that only this clock's clearTimeout reads. */
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: DeadlineClock = {
  now: () => performance.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

class HttpRequest implements PortHandle {
  readonly kind = K_HTTP_REQUEST;
  private done = false;

  constructor(
    private readonly deadlines: AnswerDeadlines,
    private readonly driver: PortDriver,
    readonly id: number,
    private readonly answer: (r: Response) => void,
  ) {
    deadlines.add(id);
  }

  isSource(): boolean {
    return false;
  }

  respond(status: number, headers: Array<[string, string]>, body: BodyInit | undefined): void {
    if (this.done) return;
    this.done = true;
    this.deadlines.answered(this.id);
    try {
      this.answer(
        new Response(status === 204 || status === 304 ? null : body, { status, headers }),
      );
    } catch (e) {
      this.answer(new Response(`bad response: ${e}`, { status: 500 }));
    }
  }

  /** Unanswered when its holder died, the timeout passed, or the run ended: 503. */
  close(): void {
    if (this.done) return;
    this.driver.ports.setState(this.id, PS_ANSWERED);
    this.respond(503, [["content-type", "text/plain"]], "Service Unavailable");
  }
}

export function registerHttp(driver: PortDriver): void {
  const client = (d: PortDriver, req: PortRequest) => {
    const [methodV, urlV, headersV, bodyV] = req.args;
    const method = text(methodV).toUpperCase(), url = text(urlV);
    d.start(req, async () => {
      let res: Response;
      try {
        new URL(url);
      } catch {
        throw new PortError(`HTTP request failed: ${url}: Invalid URL`);
      }
      try {
        const hasBody = method !== "GET" && method !== "HEAD";
        res = await fetch(url, {
          method,
          headers: headerInit(headersV),
          body: hasBody ? bodyOf(bodyV) : undefined,
          redirect: "follow",
        });
      } catch (e) {
        const reason = e instanceof Error
          ? (e.cause instanceof Error ? e.cause.message : e.message)
          : String(e);
        throw new PortError(`HTTP request failed: ${url}: ${reason}`);
      }
      const body = await res.text();
      return {
        kind: "object",
        entries: [
          ["status", { kind: "int", value: BigInt(res.status) }],
          ["headers", headersObject(res.headers)],
          ["body", str(body)],
        ],
      };
    });
  };
  driver.on(OP_GET, client);
  driver.on(OP_POST, client);
  driver.on(OP_REQUEST, client);

  const deadlines = new AnswerDeadlines((id) => driver.closeHandle(id));
  const listen = (d: PortDriver, req: PortRequest) => {
    const [host, port] = hostPort(req.args);
    let listenerId = 0;
    let server: Deno.HttpServer;
    try {
      server = Deno.serve({ hostname: host, port, onListen() {} }, (request) => {
        const owner = d.ports.owner(listenerId);
        return new Promise<Response>((resolve) => {
          const deliver = (body: string) => {
            const url = new URL(request.url);
            const id = d.ports.create(K_HTTP_REQUEST, owner);
            d.add(new HttpRequest(deadlines, d, id, resolve), owner);
            const query: Array<[string, HostValue]> = [];
            url.searchParams.forEach((v, k) => query.push([k, str(v)]));
            const delivered = d.message(owner, {
              kind: "object",
              entries: [
                ["type", str("http_request")],
                ["request", { kind: "conn", connKind: "http_request", id }],
                ["method", str(request.method)],
                ["path", str(decodePath(url.pathname))],
                ["query", { kind: "object", entries: query }],
                ["headers", headersObject(request.headers)],
                ["body", str(body)],
              ],
            });
            if (!delivered) d.closeHandle(id);
          };
          // A request without a body (a GET, say) is delivered at once, not after a read.
          if (request.body === null) deliver("");
          else {
            request.text().then(
              deliver,
              () => resolve(new Response("bad request", { status: 400 })),
            );
          }
        });
      });
    } catch (e) {
      throw netError(e, "Listen", host, port);
    }
    listenerId = d.ports.create(K_HTTP_LISTENER, req.from, (server.addr as Deno.NetAddr).port);
    d.add(new HttpListener(listenerId, server, deadlines), req.from);
    d.reply(req, { kind: "conn", connKind: "http_listener", id: listenerId });
  };
  driver.on(OP_LISTEN, listen);
  driver.on(OP_LISTEN_ON, listen);

  driver.on(OP_RESPOND, (d, req) => {
    const h = d.get(req.handle);
    if (!(h instanceof HttpRequest)) return; // answered 503 already (its holder died, timeout)
    const [statusV, headersV, bodyV] = req.args;
    h.respond(
      statusV?.kind === "int" ? Number(statusV.value) : 500,
      headerInit(headersV),
      bodyOf(bodyV),
    );
    d.closeHandle(req.handle);
  });
}

function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

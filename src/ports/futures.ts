/**
 * Futures and streams on the port driver (LANGUAGE.md §7).
 *
 * ASYNC_READ / ASYNC_WRITE start a file operation at once and give the process a Future (a
 * Connection it owns, created in the process); AWAIT waits for its value — the text read, or
 * true — or raises its error. A Future can be awaited once; awaiting it again gives the same
 * result (it is kept until the Future's owner exits).
 *
 * Streams are byte streams over files: STREAM_CREATE path mode ("r", "w", "a"), STREAM_READ
 * (up to n bytes as Str, Null at the end; UTF-8 decoded across reads), STREAM_WRITE (Str or
 * Bytes; the byte count), STREAM_CLOSE (true).
 */
import type { HostValue } from "../term/host.ts";
import { osErrorText } from "../vm/errors.ts";
import { type PortDriver, PortError, type PortHandle } from "./driver.ts";
import type { PortRequest } from "./protocol.ts";

const K_FUTURE = 5, K_STREAM = 7;
const OP_ASYNC_READ = 0xc0, OP_ASYNC_WRITE = 0xc1, OP_AWAIT = 0xc2;
const OP_STREAM_CREATE = 0xc3, OP_STREAM_READ = 0xc4, OP_STREAM_WRITE = 0xc5;
const OP_STREAM_CLOSE = 0xc6;

const text = (v: HostValue | undefined): string => (v?.kind === "str" ? v.value : "");

function fileFailure(name: string, e: unknown): PortError {
  return new PortError(`File operation failed on ${name}: ${osErrorText(e)}`);
}

class Future implements PortHandle {
  readonly kind = K_FUTURE;
  private result: { ok: true; value: HostValue } | { ok: false; error: string } | null = null;
  private readonly waiting: PortRequest[] = [];

  constructor(private readonly driver: PortDriver, readonly id: number, work: Promise<HostValue>) {
    driver.begin();
    work.then(
      (value) => (this.result = { ok: true, value }),
      (e) => (this.result = { ok: false, error: e instanceof PortError ? e.message : String(e) }),
    ).finally(() => {
      for (const req of this.waiting.splice(0)) this.answer(req);
      driver.end();
    });
  }

  isSource(): boolean {
    return false;
  }

  await(req: PortRequest): void {
    if (this.result === null) this.waiting.push(req);
    else this.answer(req);
  }

  private answer(req: PortRequest): void {
    const r = this.result!;
    if (r.ok) this.driver.reply(req, r.value);
    else this.driver.fail(req, r.error);
  }

  close(): void {}
}

class FileStream implements PortHandle {
  readonly kind = K_STREAM;
  private readonly decoder = new TextDecoder();
  private busy: Promise<void> = Promise.resolve();

  constructor(readonly id: number, private readonly file: Deno.FsFile) {}

  isSource(): boolean {
    return false;
  }

  /** Run stream operations one after another (requests of the owner arrive in order). */
  then<T>(op: () => Promise<T>): Promise<T> {
    const p = this.busy.then(op);
    this.busy = p.then(() => {}, () => {});
    return p;
  }

  async read(size: number): Promise<HostValue> {
    const buf = new Uint8Array(size);
    const n = await this.file.read(buf);
    if (n === null) {
      const rest = this.decoder.decode();
      return rest === "" ? { kind: "null" } : { kind: "str", value: rest };
    }
    return { kind: "str", value: this.decoder.decode(buf.subarray(0, n), { stream: true }) };
  }

  async write(bytes: Uint8Array): Promise<HostValue> {
    let off = 0;
    while (off < bytes.length) off += await this.file.write(bytes.subarray(off));
    return { kind: "int", value: BigInt(bytes.length) };
  }

  close(): void {
    try {
      this.file.close();
    } catch {
      // already closed
    }
  }
}

export function registerFutures(driver: PortDriver): void {
  driver.on(OP_ASYNC_READ, (d, req) => {
    const name = text(req.args[0]);
    d.add(
      new Future(
        d,
        req.handle,
        Deno.readTextFile(name).then(
          (value): HostValue => ({ kind: "str", value }),
          (e) => Promise.reject(fileFailure(name, e)),
        ),
      ),
      req.from,
    );
  });
  driver.on(OP_ASYNC_WRITE, (d, req) => {
    const name = text(req.args[0]);
    const content = req.args[1];
    const data = content?.kind === "bytes"
      ? Deno.writeFile(name, content.value)
      : Deno.writeTextFile(name, text(content));
    d.add(
      new Future(
        d,
        req.handle,
        data.then(
          (): HostValue => ({ kind: "bool", value: true }),
          (e) => Promise.reject(fileFailure(name, e)),
        ),
      ),
      req.from,
    );
  });
  driver.on(OP_AWAIT, (d, req) => {
    const h = d.get(req.handle);
    if (h instanceof Future) h.await(req);
    else d.fail(req, `Connection closed: Connection(future#${req.handle})`);
  });

  driver.on(OP_STREAM_CREATE, (d, req) => {
    const name = text(req.args[0]), mode = text(req.args[1]);
    d.start(req, async () => {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(name, {
          read: mode === "r",
          write: mode !== "r",
          create: mode !== "r",
          truncate: mode === "w",
          append: mode === "a",
        });
      } catch (e) {
        throw fileFailure(name, e);
      }
      const id = d.ports.create(K_STREAM, req.from);
      d.add(new FileStream(id, file), req.from);
      return { kind: "conn", connKind: "stream", id };
    });
  });
  const stream = (d: PortDriver, req: PortRequest): FileStream | null => {
    const h = d.get(req.handle);
    if (h instanceof FileStream) return h;
    d.fail(req, `Connection closed: Connection(stream#${req.handle})`);
    return null;
  };
  driver.on(OP_STREAM_READ, (d, req) => {
    const s = stream(d, req);
    if (s) d.start(req, () => s.then(() => s.read(req.a)));
  });
  driver.on(OP_STREAM_WRITE, (d, req) => {
    const s = stream(d, req);
    const data = req.args[0];
    const bytes = data?.kind === "bytes" ? data.value : new TextEncoder().encode(text(data));
    if (s) d.start(req, () => s.then(() => s.write(bytes)));
  });
  driver.on(OP_STREAM_CLOSE, (d, req) => {
    const s = stream(d, req);
    if (!s) return;
    d.start(req, () =>
      s.then(() => {
        d.closeHandle(req.handle);
        return Promise.resolve<HostValue>({ kind: "bool", value: true });
      }));
  });
}

/**
 * A real browser for the dashboard tests: Debian's headless Chromium driven through the Chrome
 * DevTools Protocol over its WebSocket (no npm package: a CDP client is a few dozen lines).
 *
 * `launchChromium` starts it with a fresh profile directory and `--remote-debugging-port=0`,
 * reads the port it chose from `<profile>/DevToolsActivePort`, and connects to the browser
 * endpoint; `openPage` creates a tab and attaches to it (flattened sessions). Page helpers
 * evaluate JavaScript, wait for a condition, click an element with real mouse events at its
 * centre, and capture screenshots. Everything is closed by `close()` (the process is killed
 * if it does not exit, the profile removed).
 *
 * The binary: $CHROMIUM, else `chromium` / `chromium-browser` / `google-chrome` on PATH
 * (.ci/run installs Debian's `chromium`).
 */

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--remote-debugging-port=0",
];

export function findChromium(): string {
  const fromEnv = Deno.env.get("CHROMIUM");
  if (fromEnv) return fromEnv;
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin").split(":")) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch { /* not here */ }
    }
  }
  throw new Error("no Chromium found: install Debian's `chromium` (.ci/run does) or set CHROMIUM");
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** A CDP connection: commands by id, events by name. */
export class Cdp {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (v: Json) => void; reject: (e: Error) => void }
  >();
  private readonly listeners = new Map<string, Array<(params: Json, session?: string) => void>>();

  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data as string);
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(`CDP ${m.error.message}`));
        else p.resolve(m.result);
      } else if (m.method) {
        for (const f of this.listeners.get(m.method) ?? []) f(m.params, m.sessionId);
      }
    };
    ws.onclose = () => {
      for (const p of this.pending.values()) p.reject(new Error("CDP connection closed"));
      this.pending.clear();
    };
  }

  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  on(method: string, f: (params: Json, session?: string) => void): void {
    const list = this.listeners.get(method) ?? [];
    list.push(f);
    this.listeners.set(method, list);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.addEventListener("close", () => resolve());
      this.ws.close();
    });
  }
}

export class Browser {
  private constructor(
    readonly cdp: Cdp,
    private readonly child: Deno.ChildProcess,
    private readonly profile: string,
  ) {}

  static async launch(): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "ttvm_chromium_" });
    const child = new Deno.Command(findChromium(), {
      args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 30_000;
    let active = "";
    while (Date.now() < deadline) {
      try {
        active = await Deno.readTextFile(`${profile}/DevToolsActivePort`);
        if (active.includes("\n")) break;
      } catch { /* not written yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    const [port, path] = active.trim().split("\n");
    if (!port || !path) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error("Chromium did not open its DevTools port within 30 s");
    }
    const cdp = await Cdp.connect(`ws://127.0.0.1:${port}${path}`);
    return new Browser(cdp, child, profile);
  }

  async openPage(url: string, width = 1400, height = 900): Promise<Page> {
    const { targetId } = await this.cdp.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.cdp.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const page = new Page(this.cdp, sessionId);
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    await page.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await page.send("Page.navigate", { url });
    await page.waitFor("document.readyState === 'complete'", 15_000);
    return page;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([
        this.cdp.send("Browser.close"),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
    } catch { /* already gone */ }
    await this.cdp.close();
    const exited = await Promise.race([
      this.child.status.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
    ]);
    if (!exited) {
      this.child.kill("SIGKILL");
      await this.child.status;
    }
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}

export class Page {
  constructor(private readonly cdp: Cdp, private readonly sessionId: string) {}

  send(method: string, params: Json = {}): Promise<Json> {
    return this.cdp.send(method, params, this.sessionId);
  }

  /** The value of a JavaScript expression in the page (promises awaited). */
  async eval<T = Json>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) {
      throw new Error(
        `in page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`,
      );
    }
    return r.result.value as T;
  }

  /** Resolves when `expression` is truthy; returns the ms it took. */
  async waitFor(expression: string, timeoutMs: number, everyMs = 25): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      if (await this.eval<boolean>(`!!(${expression})`)) return performance.now() - t0;
      if (performance.now() - t0 > timeoutMs) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /** A real click (mouse pressed and released) at the centre of the first match. */
  async click(selector: string): Promise<void> {
    const box = await this.eval<{ x: number; y: number } | null>(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      if (!el) return null;
      el.scrollIntoView({ block: "center" });
      const r = el.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`nothing matches ${selector}`);
    for (const type of ["mouseMoved", "mousePressed", "mouseReleased"]) {
      await this.send("Input.dispatchMouseEvent", {
        type,
        x: box.x,
        y: box.y,
        button: "left",
        clickCount: type === "mouseMoved" ? 0 : 1,
      });
    }
  }

  /** A PNG of the viewport, written to `path`. */
  async screenshot(path: string): Promise<void> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    const bin = atob(data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    await Deno.writeFile(path, bytes);
  }
}

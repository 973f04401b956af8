/**
 * Headless Chromium driven over the DevTools protocol, for tests that look at a page as a person
 * would: load it, collect console errors and uncaught exceptions, evaluate expressions in it, and
 * take a screenshot. Needs Debian's `chromium` (`.ci/run` installs it).
 */

/** What the page said while loading and what the test read from it. */
export interface PageSession {
  /** Console errors, uncaught exceptions and error log entries, as text. */
  errors: string[];
  /** Evaluates an expression in the page; its value must be JSON-able. */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the whole page. */
  screenshot(): Promise<Uint8Array>;
}

/** The chromium binary, or undefined when it is not installed. */
export function chromiumPath(): string | undefined {
  for (const candidate of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Opens `url` in a fresh headless Chromium, runs `use`, and always closes the browser. */
export async function withPage<T>(url: string, use: (page: PageSession) => Promise<T>): Promise<T> {
  const binary = chromiumPath();
  if (binary === undefined) throw new Error("chromium is not installed (apt-get install chromium)");
  const profile = await Deno.makeTempDir({ prefix: "reviews_chromium_" });
  const child = new Deno.Command(binary, {
    args: [
      "--headless=new",
      "--no-sandbox", // CI runs as root
      "--disable-gpu",
      "--no-first-run",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const port = await devToolsPort(child.stderr);
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const page = targets.find((target) => target.type === "page");
    if (page === undefined) throw new Error("Chromium opened no page");
    const cdp = await DevTools.connect(page.webSocketDebuggerUrl);
    try {
      const errors: string[] = [];
      cdp.on("Runtime.exceptionThrown", (params) => {
        const details = params.exceptionDetails as {
          text: string;
          exception?: { description?: string };
        };
        errors.push(`exception: ${details.exception?.description ?? details.text}`);
      });
      cdp.on("Runtime.consoleAPICalled", (params) => {
        if (params.type === "error" || params.type === "assert") {
          const args = params.args as { value?: unknown; description?: string }[];
          errors.push(
            `console.${params.type}: ${args.map((a) => a.value ?? a.description).join(" ")}`,
          );
        }
      });
      cdp.on("Log.entryAdded", (params) => {
        const entry = params.entry as { level: string; text: string; url?: string };
        if (entry.level === "error") errors.push(`log: ${entry.text} ${entry.url ?? ""}`.trim());
      });
      await cdp.send("Runtime.enable");
      await cdp.send("Log.enable");
      await cdp.send("Page.enable");
      await cdp.send("Emulation.setDeviceMetricsOverride", {
        width: 1200,
        height: 900,
        deviceScaleFactor: 1,
        mobile: false,
      });
      const loaded = cdp.once("Page.loadEventFired");
      await cdp.send("Page.navigate", { url });
      await loaded;
      return await use({
        errors,
        evaluate: async <V>(expression: string) => {
          const result = await cdp.send("Runtime.evaluate", {
            expression,
            returnByValue: true,
            awaitPromise: true,
          }) as { result: { value: V }; exceptionDetails?: { text: string } };
          if (result.exceptionDetails) {
            throw new Error(`evaluating ${expression}: ${result.exceptionDetails.text}`);
          }
          return result.result.value;
        },
        screenshot: async () => {
          const shot = await cdp.send("Page.captureScreenshot", {
            format: "png",
            captureBeyondViewport: true,
          }) as { data: string };
          return Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0));
        },
      });
    } finally {
      cdp.close();
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await child.stderr.cancel().catch(() => {});
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Reads Chromium's stderr until it says where DevTools listens. */
async function devToolsPort(stderr: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    const match = seen.match(/DevTools listening on ws:\/\/[^:]+:(\d+)\//);
    if (match) {
      reader.releaseLock();
      return Number(match[1]);
    }
  }
  throw new Error(`Chromium did not open DevTools; it said:\n${seen}`);
}

type Params = Record<string, unknown>;

/** A minimal DevTools protocol client: commands with replies, and events. */
class DevTools {
  #next = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly #listeners = new Map<string, ((params: Params) => void)[]>();

  private constructor(readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      if (typeof message.id === "number") {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) pending?.reject(new Error(JSON.stringify(message.error)));
        else pending?.resolve(message.result);
      } else {
        for (const listener of this.#listeners.get(message.method) ?? []) {
          listener(message.params);
        }
      }
    };
  }

  static connect(url: string): Promise<DevTools> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(new DevTools(socket));
      socket.onerror = () => reject(new Error(`Cannot open ${url}`));
    });
  }

  send(method: string, params: Params = {}): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  on(method: string, listener: (params: Params) => void): void {
    this.#listeners.set(method, [...(this.#listeners.get(method) ?? []), listener]);
  }

  once(method: string): Promise<Params> {
    return new Promise((resolve) => this.on(method, resolve));
  }

  close(): void {
    this.socket.close();
  }
}

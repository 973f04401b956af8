/**
 * A real Prometheus (Debian's `prometheus`) started on loopback for one test, scraping the given
 * targets every second, and its HTTP query API.
 */

/** A running Prometheus. */
export interface Prometheus {
  url: string;
  /** The value of an instant query with one series, or undefined when it has none (yet). */
  query(expression: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts Prometheus scraping `targets` (host:port) every second; waits until it is ready. */
export async function startPrometheus(targets: string[]): Promise<Prometheus> {
  const dir = await Deno.makeTempDir({ prefix: "reviews_prometheus_" });
  const config = `${dir}/prometheus.yml`;
  await Deno.writeTextFile(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: reviews",
      "    static_configs:",
      `      - targets: [${targets.map((t) => `'${t}'`).join(", ")}]`,
      "",
    ].join("\n"),
  );
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = new Deno.Command("prometheus", {
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  (async () => {
    for (;;) {
      const { value, done } = await log.read();
      if (done) return;
      said += value;
    }
  })().catch(() => {});
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/-/ready`);
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus did not become ready; it said:\n${said}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    stop,
    async query(expression) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expression)}`);
      const body = await response.json() as {
        status: string;
        data?: { result: { value: [number, string] }[] };
        error?: string;
      };
      if (body.status !== "success") throw new Error(`Prometheus: ${body.error}`);
      const [series] = body.data?.result ?? [];
      return series === undefined ? undefined : Number(series.value[1]);
    },
  };
}

import assert from "node:assert/strict";
import { MemoryLogger } from "../core/log.ts";
import { Counter, newRegistry } from "./registry.ts";
import { answer, type Endpoints, serveMetrics } from "./server.ts";

function endpoints(ready: boolean): Endpoints {
  const registry = newRegistry();
  new Counter({ name: "things_total", help: "Things.", registers: [registry] }).inc(3);
  return { registry, readiness: () => Promise.resolve({ ready, reason: "because" }) };
}

const get = (path: string, e: Endpoints, method = "GET") =>
  answer(new Request(`http://x${path}`, { method }), e);

Deno.test("/metrics answers the Prometheus text format with the process metrics", async () => {
  const response = await get("/metrics", endpoints(true));
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const body = await response.text();
  assert.match(body, /^things_total 3$/m);
  assert.match(body, /^process_resident_memory_bytes [1-9]\d+$/m);
  assert.match(body, /^process_cpu_seconds_total [\d.e-]+$/m);
  assert.match(body, /^process_start_time_seconds \d{10}$/m);
});

Deno.test("/healthz is 200; /readyz is 200 or 503 with the reason; the rest 404 or 405", async () => {
  assert.equal((await get("/healthz", endpoints(false))).status, 200);
  const ready = await get("/readyz", endpoints(true));
  assert.deepEqual([ready.status, await ready.text()], [200, "because\n"]);
  const unready = await get("/readyz", endpoints(false));
  assert.deepEqual([unready.status, await unready.text()], [503, "because\n"]);
  const broken = await get("/readyz", {
    ...endpoints(true),
    readiness: () => Promise.reject(new Error("boom")),
  });
  assert.deepEqual([broken.status, await broken.text()], [
    503,
    "the readiness check failed: boom\n",
  ]);
  assert.equal((await get("/other", endpoints(true))).status, 404);
  assert.equal((await get("/metrics", endpoints(true), "POST")).status, 405);
});

Deno.test("serveMetrics listens on loopback (port 0 picks one) and names an address it cannot take", async () => {
  const logger = new MemoryLogger();
  const server = serveMetrics({ hostname: "127.0.0.1", port: 0 }, endpoints(true), logger);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(await response.text(), "ok\n");
    const port = Number(new URL(server.url).port);
    assert.throws(
      () => serveMetrics({ hostname: "127.0.0.1", port }, endpoints(true), logger),
      new RegExp(`Cannot serve metrics on 127\\.0\\.0\\.1:${port}`),
    );
  } finally {
    await server.close();
  }
});

/**
 * The HTTP endpoints a supervisor and Prometheus use: `/metrics` (the text format), `/healthz`
 * (200 while the process runs) and `/readyz` (200 when the command can do its work, 503 with the
 * reason otherwise).
 */
import { messageOf, ReviewsError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import type { ListenAddress } from "../core/parse.ts";
import { exposition, type Registry } from "./registry.ts";

/** Whether the command can do its work now, and why (or why not). */
export interface Readiness {
  ready: boolean;
  reason: string;
}

/** A running metrics server. */
export interface MetricsServer {
  /** Where it listens (the port chosen when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

/** What the endpoints read. */
export interface Endpoints {
  registry: Registry;
  readiness: () => Promise<Readiness>;
}

/** Answers one request: the routing, without a socket (tested on its own). */
export async function answer(request: Request, endpoints: Endpoints): Promise<Response> {
  const path = new URL(request.url).pathname;
  const text = (status: number, body: string) =>
    new Response(body + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8" } });
  if (request.method !== "GET" && request.method !== "HEAD") return text(405, "GET only");
  switch (path) {
    case "/metrics": {
      const { body, contentType } = await exposition(endpoints.registry);
      return new Response(body, { headers: { "content-type": contentType } });
    }
    case "/healthz":
      return text(200, "ok");
    case "/readyz": {
      let readiness: Readiness;
      try {
        readiness = await endpoints.readiness();
      } catch (error) {
        readiness = { ready: false, reason: `the readiness check failed: ${messageOf(error)}` };
      }
      return text(readiness.ready ? 200 : 503, readiness.reason);
    }
    default:
      return text(404, "not found; try /metrics, /healthz or /readyz");
  }
}

/** Starts serving; throws a ReviewsError naming the address when it cannot listen there. */
export function serveMetrics(
  address: ListenAddress,
  endpoints: Endpoints,
  logger: Logger,
): MetricsServer {
  const where = `${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}`;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: address.hostname,
      port: address.port,
      onListen: () => {},
    }, (request) => answer(request, endpoints));
  } catch (error) {
    throw new ReviewsError(
      `Cannot serve metrics on ${where}:${address.port}: ${messageOf(error)}`,
      "Pick another --metrics-addr (HOST:PORT; port 0 picks a free one).",
      { cause: error },
    );
  }
  const url = `http://${where}:${server.addr.port}`;
  logger.info(`Serving ${url}/metrics, /healthz and /readyz`);
  return {
    url,
    close: () => server.shutdown(),
  };
}

/**
 * A Prometheus registry (prom-client) with the process metrics every exporter carries. prom-client
 * is the Node ecosystem's standard Prometheus client: synchronous counters and histograms, the
 * text format Prometheus scrapes, no SDK or collector to run. Its own default collectors rely on
 * Node's event-loop monitor, which Deno does not implement (they report garbage there), so the
 * process metrics are read from Deno here instead.
 */
import client from "prom-client";
import { cpuUsage } from "node:process";

export type { Registry } from "prom-client";
export { Counter, Gauge, Histogram } from "prom-client";

/** A registry holding process_resident_memory_bytes, process_cpu_seconds_total and the start time. */
export function newRegistry(): client.Registry {
  const registry = new client.Registry();
  const registers = [registry];
  const startSeconds = Math.round(Date.now() / 1000 - performance.now() / 1000);
  new client.Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
  new client.Counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    registers,
    collect() {
      const { user, system } = cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new client.Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since unix epoch in seconds.",
    registers,
  }).set(startSeconds);
  return registry;
}

/** Metrics as Prometheus scrapes them, with their content type. */
export async function exposition(
  registry: client.Registry,
): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}

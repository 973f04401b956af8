import assert from "node:assert/strict";
import { exposition } from "./registry.ts";
import { ProduceMetrics } from "./produce_metrics.ts";

Deno.test("produce metrics count events, errors and the latency of each send", async () => {
  const metrics = new ProduceMetrics();
  metrics.recordSent(500, 0.004);
  metrics.recordSent(300, 0.2);
  metrics.recordError();
  const { body } = await exposition(metrics.registry);
  assert.match(body, /^reviews_produce_events_total 800$/m);
  assert.match(body, /^reviews_produce_send_errors_total 1$/m);
  assert.match(body, /^reviews_produce_send_latency_seconds_count 2$/m);
  assert.match(body, /^reviews_produce_send_latency_seconds_bucket\{le="0.005"\} 1$/m);
});

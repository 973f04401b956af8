import assert from "node:assert/strict";
import { histogramBuckets, histogramQuantile } from "./latency.ts";

const text = `# HELP l_seconds x
# TYPE l_seconds histogram
l_seconds_bucket{le="0.5"} 10
l_seconds_bucket{le="1"} 60
l_seconds_bucket{le="2"} 100
l_seconds_bucket{le="+Inf"} 100
l_seconds_sum 90
l_seconds_count 100
`;

Deno.test("histogramQuantile() interpolates within the bucket like Prometheus", () => {
  const buckets = histogramBuckets(text, "l_seconds");
  assert.deepEqual(buckets.map((b) => b.le), [0.5, 1, 2, Infinity]);
  assert.equal(histogramQuantile(0.05, buckets), 0.25);
  assert.equal(histogramQuantile(0.5, buckets), 0.5 + 0.5 * (40 / 50));
  assert.equal(histogramQuantile(0.99, buckets), 1 + 1 * (39 / 40));
  assert.ok(Number.isNaN(histogramQuantile(0.5, [])));
});

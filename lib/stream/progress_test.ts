import assert from "node:assert/strict";
import { type BatchReport, latencyOf, progressJson, progressLine, quantile } from "./progress.ts";

const report: BatchReport = {
  id: 7,
  startedAt: new Date("2024-03-01T14:00:00.000Z"),
  events: 1000,
  written: 990,
  deadLettered: 10,
  unmatched: 3,
  seconds: 0.5,
  waited: 1.5,
  phases: { transform: 0.1, write: 0.3, commit: 0.1 },
  partitions: [
    { partition: 0, start: 100, end: 600, latest: 700 },
    { partition: 2, start: 0, end: 500, latest: 500 },
  ],
  latency: { p50: 1.2, p99: 1.9, max: 2.05 },
  latencies: [1.2, 1.9, 2.05],
  lag: 100,
};

Deno.test("quantile() takes the nearest rank; latencyOf() gives p50, p99 and max", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(values, 0.5), 50);
  assert.equal(quantile(values, 0.99), 99);
  assert.equal(quantile([3], 0.99), 3);
  assert.equal(quantile([], 0.5), undefined);
  assert.deepEqual(latencyOf([3, 1, 2]), { p50: 2, p99: 3, max: 3 });
  assert.equal(latencyOf([]), undefined);
  // A batch as large as --max-batch allows: no argument spreading, one sort.
  const many = Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_000);
  assert.deepEqual(latencyOf(many), { p50: 499_999, p99: 989_999, max: 999_999 });
});

Deno.test("progressJson() names what Spark's StreamingQueryProgress names", () => {
  const json = progressJson(report, "movie_reviews");
  assert.equal(json.batchId, 7);
  assert.equal(json.timestamp, "2024-03-01T14:00:00.000Z");
  assert.equal(json.numInputRows, 1000);
  assert.equal(json.inputRowsPerSecond, 500);
  assert.equal(json.processedRowsPerSecond, 2000);
  assert.deepEqual(json.durationMs, {
    fetchWait: 1500,
    transform: 100,
    write: 300,
    commit: 100,
    triggerExecution: 500,
  });
  const [source] = json.sources as Record<string, unknown>[];
  assert.deepEqual(source.startOffset, { movie_reviews: { "0": 100, "2": 0 } });
  assert.deepEqual(source.endOffset, { movie_reviews: { "0": 600, "2": 500 } });
  assert.deepEqual(source.latestOffset, { movie_reviews: { "0": 700, "2": 500 } });
  assert.deepEqual(json.sink, { numOutputRows: 990 });
  assert.deepEqual(json.latencyMs, { p50: 1200, p99: 1900, max: 2050 });
  assert.equal(json.deadLettered, 10);
  assert.equal(json.unmatched, 3);
  // It is JSON: nothing in it is lost in a round trip.
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
});

Deno.test("progressLine() shows the counts, the lag, the p99 latency and the phases", () => {
  assert.equal(
    progressLine(report),
    "batch 7: 1000 events, 990 written, 10 dead-lettered, 3 unmatched, lag 100, " +
      "0.50 s (transform 0.10, write 0.30, commit 0.10), latency p99 1.90 s",
  );
  assert.doesNotMatch(progressLine({ ...report, latency: undefined }), /latency/);
  assert.equal(progressJson({ ...report, latency: undefined }, "t").latencyMs, null);
});

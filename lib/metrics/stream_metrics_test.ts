import assert from "node:assert/strict";
import type { PartitionStanding } from "../stream/ledger.ts";
import type { BatchReport } from "../stream/progress.ts";
import { exposition } from "./registry.ts";
import { StreamMetrics } from "./stream_metrics.ts";

const report = (latencies: number[]): BatchReport => ({
  id: 1,
  startedAt: new Date("2024-03-01T14:00:00.000Z"),
  events: 10,
  written: latencies.length,
  deadLettered: 2,
  unmatched: 1,
  seconds: 0.2,
  waited: 0,
  phases: { transform: 0.05, write: 0.1, commit: 0.05 },
  partitions: [],
  latencies,
  lag: 0,
});

const standing = (partition: number, committed: number, latest: number, owned: boolean) => ({
  partition,
  committed,
  target: latest,
  latest,
  lag: latest - committed,
  owned,
});

Deno.test("stream metrics count batches and histogram the latency of every row", async () => {
  const metrics = new StreamMetrics({ topic: "t", standings: () => [] });
  metrics.recordBatch(report([0.4, 0.9, 1.1, 3]));
  metrics.recordBatch(report([0.2, 0.3, 0.4, 0.5]));
  metrics.recordWriteRetry("unavailable");
  metrics.recordWriteRetry("unavailable");
  metrics.recordWriteRetry("write_timeout");
  const { body } = await exposition(metrics.registry);
  const value = (line: string) => {
    const found = body.split("\n").find((l) => l.startsWith(line + " "));
    assert.ok(found, `${line} missing from:\n${body}`);
    return Number(found.slice(line.length + 1));
  };
  assert.equal(value("reviews_stream_events_total"), 20);
  assert.equal(value("reviews_stream_rows_written_total"), 8);
  assert.equal(value("reviews_stream_dead_letters_total"), 4);
  assert.equal(value("reviews_stream_unmatched_total"), 2);
  assert.equal(value("reviews_stream_batches_total"), 2);
  assert.equal(value('reviews_stream_write_retries_total{reason="unavailable"}'), 2);
  assert.equal(value('reviews_stream_write_retries_total{reason="write_timeout"}'), 1);
  assert.equal(value("reviews_stream_event_latency_seconds_count"), 8);
  assert.equal(value('reviews_stream_event_latency_seconds_bucket{le="0.5"}'), 5);
  assert.equal(value('reviews_stream_event_latency_seconds_bucket{le="1"}'), 6);
  assert.equal(value('reviews_stream_event_latency_seconds_bucket{le="+Inf"}'), 8);
  assert.equal(value("reviews_stream_batch_duration_seconds_count"), 2);
  assert.equal(value("reviews_stream_last_commit_timestamp_seconds"), 1709301600.2);
});

Deno.test("lag and committed offsets are read at each scrape, for the partitions held only", async () => {
  let standings: PartitionStanding[] = [
    standing(0, 100, 150, true),
    standing(1, 10, 10, false),
    standing(2, 7, 9, true),
  ];
  const metrics = new StreamMetrics({ topic: "t", standings: () => standings });
  const lines = async (prefix: string) =>
    (await exposition(metrics.registry)).body.split("\n").filter((l) => l.startsWith(prefix));
  assert.deepEqual(await lines("reviews_stream_consumer_lag{"), [
    'reviews_stream_consumer_lag{topic="t",partition="0"} 50',
    'reviews_stream_consumer_lag{topic="t",partition="2"} 2',
  ]);
  assert.deepEqual(await lines("reviews_stream_committed_offset{"), [
    'reviews_stream_committed_offset{topic="t",partition="0"} 100',
    'reviews_stream_committed_offset{topic="t",partition="2"} 7',
  ]);
  assert.deepEqual(await lines("reviews_stream_assigned_partitions"), [
    "reviews_stream_assigned_partitions 2",
  ]);
  standings = [standing(0, 150, 150, true)];
  assert.deepEqual(await lines("reviews_stream_consumer_lag{"), [
    'reviews_stream_consumer_lag{topic="t",partition="0"} 0',
  ]);
});

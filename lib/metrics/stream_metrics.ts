/**
 * The metrics of `stream`, named after Prometheus' conventions (`_total` counters, base units,
 * `_seconds`): what was consumed, written and dead-lettered, write retries by reason, batch
 * duration and end-to-end latency histograms, and per partition the consumer lag and the
 * committed offset, read from the ledger at each scrape.
 */
import type { PartitionStanding } from "../stream/ledger.ts";
import type { BatchReport } from "../stream/progress.ts";
import { Counter, Gauge, Histogram, newRegistry, type Registry } from "./registry.ts";

/** Buckets of a batch's duration, seconds. */
const BATCH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/**
 * Buckets of event latency, seconds: fine around one to a few trigger intervals, where a running
 * stream's latency lies, coarse beyond (a backlog being drained).
 */
const LATENCY_BUCKETS = [
  0.05,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  1.25,
  1.5,
  2,
  2.5,
  3,
  4,
  5,
  7.5,
  10,
  15,
  30,
  60,
  120,
  300,
  600,
  1800,
  3600,
];

/** Where the per-partition gauges are read from at scrape time. */
export interface PartitionView {
  topic: string;
  standings(): PartitionStanding[];
}

/** The stream's metrics in their own registry. */
export class StreamMetrics {
  readonly registry: Registry = newRegistry();
  readonly #events: Counter;
  readonly #written: Counter;
  readonly #deadLettered: Counter;
  readonly #unmatched: Counter;
  readonly #batches: Counter;
  readonly #retries: Counter<"reason">;
  readonly #batchSeconds: Histogram;
  readonly #latency: Histogram;
  readonly #lastCommit: Gauge;

  constructor(view: PartitionView) {
    const registers = [this.registry];
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.#events = counter("reviews_stream_events_total", "Events consumed and committed.");
    this.#written = counter("reviews_stream_rows_written_total", "Rows written to Cassandra.");
    this.#deadLettered = counter(
      "reviews_stream_dead_letters_total",
      "Messages sent to the dead-letter topic.",
    );
    this.#unmatched = counter(
      "reviews_stream_unmatched_total",
      "Events stored without catalog attributes (title not in the catalog).",
    );
    this.#batches = counter("reviews_stream_batches_total", "Micro-batches committed.");
    this.#retries = new Counter({
      name: "reviews_stream_write_retries_total",
      help: "Cassandra writes retried, by the failure's reason.",
      labelNames: ["reason"],
      registers,
    });
    this.#batchSeconds = new Histogram({
      name: "reviews_stream_batch_duration_seconds",
      help: "Time from taking a micro-batch to committing it.",
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.#latency = new Histogram({
      name: "reviews_stream_event_latency_seconds",
      help: "End-to-end latency of each row: its write time minus its event time.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#lastCommit = new Gauge({
      name: "reviews_stream_last_commit_timestamp_seconds",
      help: "When the last micro-batch was committed, seconds since the Unix epoch.",
      registers,
    });
    const owned = () => view.standings().filter((standing) => standing.owned);
    const perPartition = (name: string, help: string, pick: (s: PartitionStanding) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["topic", "partition"],
        registers,
        collect() {
          // Only the partitions this member holds now: a revoked one disappears.
          this.reset();
          for (const standing of owned()) {
            this.set({ topic: view.topic, partition: String(standing.partition) }, pick(standing));
          }
        },
      });
    perPartition(
      "reviews_stream_consumer_lag",
      "Messages not yet committed in each partition this member holds (newest offset seen minus committed).",
      (s) => s.lag,
    );
    perPartition(
      "reviews_stream_committed_offset",
      "The group's committed offset of each partition this member holds.",
      (s) => s.committed,
    );
    new Gauge({
      name: "reviews_stream_assigned_partitions",
      help: "Partitions the consumer group has assigned to this member.",
      registers,
      collect() {
        this.set(owned().length);
      },
    });
  }

  /** Counts a committed batch. */
  recordBatch(report: BatchReport): void {
    this.#batches.inc();
    this.#events.inc(report.events);
    this.#written.inc(report.written);
    this.#deadLettered.inc(report.deadLettered);
    this.#unmatched.inc(report.unmatched);
    this.#batchSeconds.observe(report.seconds);
    for (const seconds of report.latencies) this.#latency.observe(seconds);
    this.#lastCommit.set((report.startedAt.getTime() + report.seconds * 1000) / 1000);
  }

  /** Counts a Cassandra write about to be retried. */
  recordWriteRetry(reason: string): void {
    this.#retries.inc({ reason });
  }
}

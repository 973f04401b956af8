/**
 * What one committed batch did, as the human line and as a JSON object modelled on Spark's
 * StreamingQueryProgress (`--progress json`). Pure: the engine fills a BatchReport, these format it.
 */

/** End-to-end latency of a batch's rows (write time minus event time), in seconds. */
export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/** One partition's offsets in a batch: where it started, where it committed, the newest seen. */
export interface PartitionProgress {
  partition: number;
  start: number;
  end: number;
  latest: number;
}

/** One committed batch, as the engine measured it. */
export interface BatchReport {
  id: number;
  /** When the batch was taken (wall clock). */
  startedAt: Date;
  events: number;
  written: number;
  deadLettered: number;
  unmatched: number;
  /** Seconds from taking the batch to its commit. */
  seconds: number;
  /** Seconds waiting for the trigger since the previous batch ended (or the run started). */
  waited: number;
  /** Seconds spent in each step: validating and enriching, writing, committing. */
  phases: { transform: number; write: number; commit: number };
  partitions: PartitionProgress[];
  /** Undefined when the batch wrote no row. */
  latency?: Latency;
  /** Each written row's latency in seconds (for histograms). */
  latencies: readonly number[];
  lag: number;
}

/** The `q` quantile (0..1) of values, nearest rank; undefined for none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  return values.length === 0 ? undefined : nearestRank(Float64Array.from(values).sort(), q);
}

function nearestRank(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * p50, p99 and max of latencies in seconds, from one sort (a batch holds up to --max-batch rows,
 * too many to spread into Math.max); undefined for none.
 */
export function latencyOf(seconds: readonly number[]): Latency | undefined {
  if (seconds.length === 0) return undefined;
  const sorted = Float64Array.from(seconds).sort();
  return {
    p50: nearestRank(sorted, 0.5),
    p99: nearestRank(sorted, 0.99),
    max: sorted[sorted.length - 1],
  };
}

/** The human line: counts, lag, p99 latency and the time of each phase. */
export function progressLine(report: BatchReport): string {
  const latency = report.latency === undefined
    ? ""
    : `, latency p99 ${report.latency.p99.toFixed(2)} s`;
  return `batch ${report.id}: ${report.events} events, ${report.written} written, ` +
    `${report.deadLettered} dead-lettered, ${report.unmatched} unmatched, lag ${report.lag}, ` +
    `${report.seconds.toFixed(2)} s (transform ${report.phases.transform.toFixed(2)}, write ${
      report.phases.write.toFixed(2)
    }, commit ${report.phases.commit.toFixed(2)})${latency}`;
}

const ms = (seconds: number) => Math.round(seconds * 1000);
const perSecond = (rows: number, seconds: number) =>
  seconds > 0 ? Math.round((rows / seconds) * 10) / 10 : 0;

/**
 * The batch as Spark names it: batchId, timestamp, numInputRows, inputRowsPerSecond (rows over
 * the time since the previous batch ended, waiting included), processedRowsPerSecond (rows over
 * the batch's own time), durationMs by phase, per-partition offsets under `sources`, and this
 * pipeline's own figures (rows written, dead letters, unmatched, latency).
 */
export function progressJson(report: BatchReport, topic: string): Record<string, unknown> {
  const offsets = (pick: (p: PartitionProgress) => number) => ({
    [topic]: Object.fromEntries(report.partitions.map((p) => [String(p.partition), pick(p)])),
  });
  return {
    batchId: report.id,
    timestamp: report.startedAt.toISOString(),
    numInputRows: report.events,
    inputRowsPerSecond: perSecond(report.events, report.waited + report.seconds),
    processedRowsPerSecond: perSecond(report.events, report.seconds),
    durationMs: {
      fetchWait: ms(report.waited),
      transform: ms(report.phases.transform),
      write: ms(report.phases.write),
      commit: ms(report.phases.commit),
      triggerExecution: ms(report.seconds),
    },
    sources: [{
      description: `KafkaV2[Subscribe[${topic}]]`,
      startOffset: offsets((p) => p.start),
      endOffset: offsets((p) => p.end),
      latestOffset: offsets((p) => p.latest),
      numInputRows: report.events,
    }],
    sink: { numOutputRows: report.written },
    latencyMs: report.latency === undefined ? null : {
      p50: ms(report.latency.p50),
      p99: ms(report.latency.p99),
      max: ms(report.latency.max),
    },
    deadLettered: report.deadLettered,
    unmatched: report.unmatched,
    lag: report.lag,
  };
}

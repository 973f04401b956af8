/**
 * End-to-end latency under a steady load: `produce --rate RATE` for SECONDS into a running
 * `stream --interval 1s`, then p50 and p99 of write time minus event time from the stream's own
 * histogram (its /metrics), and the max from its per-batch progress. Runs alone with
 * `deno run -A bench/latency.ts`, or as part of `deno task bench`.
 */
import { cleanUp, runCliOk, streamWithMetrics } from "../tests/support/helpers.ts";

/** What one latency run measured, in seconds. */
export interface LatencyFigures {
  events: number;
  intervalSeconds: number;
  p50: number;
  p99: number;
  max: number;
}

/** One histogram bucket: the upper bound and the cumulative count. */
export interface Bucket {
  le: number;
  count: number;
}

/** The buckets of a histogram in Prometheus' text format. */
export function histogramBuckets(text: string, name: string): Bucket[] {
  const pattern = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, "gm");
  return [...text.matchAll(pattern)].map(([, le, count]) => ({
    le: le === "+Inf" ? Infinity : Number(le),
    count: Number(count),
  }));
}

/**
 * The q-quantile of a histogram the way Prometheus' histogram_quantile() estimates it: linear
 * within the bucket holding the rank, the lower bound of the first bucket being 0.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lower;
      const inBucket = bucket.count - below;
      return lower + (bucket.le - lower) * (inBucket === 0 ? 0 : (rank - below) / inBucket);
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return lower;
}

const LATENCY = "reviews_stream_event_latency_seconds";

/** Runs the load and reads the stream's figures. */
export async function measureLatency(rate = 2_000, seconds = 60): Promise<LatencyFigures> {
  const events = rate * seconds;
  const { id, flags, stream, url } = await streamWithMetrics(
    "latency",
    "--interval",
    "1s",
    "--progress",
    "json",
  );
  try {
    await stream.waitFor(/Joined group/);
    await runCliOk([...["produce", ...flags], "--rate", String(rate), "--count", String(events)]);
    let text = "";
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      text = await (await fetch(`${url}/metrics`)).text();
      const written = Number(text.match(/^reviews_stream_rows_written_total (\S+)$/m)?.[1]);
      if (written >= events) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const buckets = histogramBuckets(text, LATENCY);
    const { stdout } = await stream.stop("SIGTERM");
    const max = Math.max(
      ...stdout.trim().split("\n").map((line) => JSON.parse(line).latencyMs?.max ?? 0),
    ) / 1000;
    return {
      events: buckets.at(-1)?.count ?? 0,
      intervalSeconds: 1,
      p50: histogramQuantile(0.5, buckets),
      p99: histogramQuantile(0.99, buckets),
      max,
    };
  } finally {
    await stream.stop("SIGKILL").catch(() => {});
    await cleanUp({ keyspace: id, topic: id });
  }
}

if (import.meta.main) {
  const figures = await measureLatency(
    Number(Deno.env.get("LATENCY_RATE") ?? 2_000),
    Number(Deno.env.get("LATENCY_SECONDS") ?? 60),
  );
  console.log(JSON.stringify(figures));
}

/**
 * `--metrics-addr` for each command: its metrics, its readiness and the server, wired together.
 * Loaded only when the flag is given, so prom-client costs the other runs nothing.
 */
import type { CqlSession } from "../cassandra/client.ts";
import type { Logger } from "../core/log.ts";
import type { ListenAddress } from "../core/parse.ts";
import { KAFKA_FAILURES } from "../core/retry.ts";
import type { PartitionLedger } from "../stream/ledger.ts";
import { ProduceMetrics } from "./produce_metrics.ts";
import { cassandraProbe, produceReadiness, streamReadiness } from "./readiness.ts";
import { type MetricsServer, serveMetrics } from "./server.ts";
import { StreamMetrics } from "./stream_metrics.ts";

/** What a stream member exposes. */
export interface StreamEndpoints {
  topic: string;
  group: string;
  ledger: PartitionLedger;
  cassandra: Pick<CqlSession, "execute">;
  cassandraHosts: readonly string[];
  /** The consumer's fatal failure, once there is one. */
  failure: () => unknown;
}

/** Serves a stream member's metrics and health; the caller records into `metrics`. */
export function serveStreamMetrics(
  address: ListenAddress,
  endpoints: StreamEndpoints,
  logger: Logger,
): { metrics: StreamMetrics; server: MetricsServer } {
  const { ledger, topic, group } = endpoints;
  const metrics = new StreamMetrics({ topic, standings: () => ledger.standings() });
  const probe = cassandraProbe(endpoints.cassandra);
  const server = serveMetrics(address, {
    registry: metrics.registry,
    readiness: async () => {
      const failure = endpoints.failure();
      return streamReadiness({
        topic,
        group,
        joined: ledger.joined,
        owned: ledger.owned,
        cassandraHosts: endpoints.cassandraHosts,
        failure: failure === undefined ? undefined : KAFKA_FAILURES.describe(failure),
      }, await probe.result());
    },
  }, logger);
  return { metrics, server };
}

/** Serves a producer's metrics and health; `failing()` is the reason sends fail now, if they do. */
export function serveProduceMetrics(
  address: ListenAddress,
  topic: string,
  failing: () => string | undefined,
  logger: Logger,
): { metrics: ProduceMetrics; server: MetricsServer } {
  const metrics = new ProduceMetrics();
  const server = serveMetrics(address, {
    registry: metrics.registry,
    readiness: () => Promise.resolve(produceReadiness(topic, failing())),
  }, logger);
  return { metrics, server };
}

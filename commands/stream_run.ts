/** `./reviews stream` itself, loaded only to run it (see stream.ts). */
import { progressJson, progressLine } from "../lib/stream/progress.ts";
import type { CqlSession } from "../lib/cassandra/client.ts";
import { openCatalog } from "../lib/pipeline/catalog.ts";
import { deadLetterTopic, PARTITION_KEY_COLUMNS } from "../lib/pipeline/dataset.ts";
import { settledWithin } from "../lib/core/errors.ts";
import { formatInterval } from "../lib/core/interval.ts";
import type { KafkaClient } from "../lib/kafka/client.ts";
import type { Logger } from "../lib/core/log.ts";
import { cassandraFailureLabel, KAFKA_FAILURES, retrying } from "../lib/core/retry.ts";
import { type Stopper, untilStopped } from "../lib/core/signals.ts";
import { CassandraSink } from "../lib/stream/cassandra_sink.ts";
import { transformBatch } from "../lib/stream/batch.ts";
import { MicroBatchBuffer } from "../lib/stream/buffer.ts";
import { TransactionalCommitter } from "../lib/stream/committer.ts";
import { StreamEngine, type StreamTotals } from "../lib/stream/engine.ts";
import { KafkaSource } from "../lib/stream/kafka_source.ts";
import { PartitionLedger } from "../lib/stream/ledger.ts";
import type { StreamOptions } from "./stream.ts";

/** How long shutdown waits for Kafka to acknowledge leaving, at most. */
const CLOSE_WAIT_MS = 3_000;

/** What stream needs from the outside world. */
export interface StreamDeps {
  kafka: KafkaClient;
  cassandra: CqlSession;
  logger: Logger;
  out: (line: string) => void;
  /** Stops the run (tests); SIGINT and SIGTERM stop it too. */
  stop?: Stopper;
}

/** Totals of a stream run. */
export type StreamResult = StreamTotals;

/** Runs micro-batches until stopped, or until the topic is drained with --available-now. */
export async function runStream(options: StreamOptions, deps: StreamDeps): Promise<StreamResult> {
  const { dataset, group } = options;
  const { kafka, logger } = deps;
  const topic = dataset.topic;
  const dlqTopic = deadLetterTopic(topic);
  // The catalog, Kafka and Cassandra get ready side by side. Their failures are reported in this
  // order, and the catalog's at once, without waiting for the services.
  const sink = new CassandraSink(deps.cassandra, dataset, options.consistency);
  const catalogReady = openCatalog(dataset, options, logger);
  const kafkaReady = kafka.requireTopics([topic, dlqTopic], dataset.name);
  const cassandraReady = deps.cassandra.connect().then(() => sink.check());
  for (const ready of [kafkaReady, cassandraReady]) ready.catch(() => {}); // awaited below
  const catalog = await catalogReady;
  await kafkaReady;
  await cassandraReady;

  const stopper = deps.stop ??
    untilStopped((signal) =>
      logger.info(`${signal} received: finishing the batch in hand, then exiting`)
    );
  // A failure of taking partitions over or of joining, which ends the run.
  let claimFailure: unknown;
  // A fresh broker may still be electing leaders or loading the group coordinator.
  const [watermarks, maxMessageBytes] = await retrying(
    { what: "reading the topic's offsets", kind: KAFKA_FAILURES, logger, stopper },
    () => Promise.all([kafka.offsets(topic), kafka.maxMessageBytes(dlqTopic)]),
  );
  const ledger = new PartitionLedger(
    new Map(watermarks.map((mark) => [mark.partition, mark.low])),
    new Map(watermarks.map((mark) => [mark.partition, mark.high])),
  );
  const buffer = new MicroBatchBuffer(options.maxBatch, options.bufferBytes);
  const committer = new TransactionalCommitter(kafka, {
    topic,
    dlqTopic,
    group,
    maxMessageBytes,
    transactionTimeoutMs: 60_000,
  });
  const source = new KafkaSource(
    kafka,
    { topic, group, sessionTimeoutMs: options.sessionTimeoutMs },
    buffer,
    ledger,
    logger,
    stopper,
  );
  const failure = () => source.failure ?? claimFailure;
  const observed = options.metricsAddr === undefined ? undefined : (await import(
    "../lib/metrics/serve.ts"
  )).serveStreamMetrics(
    options.metricsAddr,
    {
      topic,
      group,
      ledger,
      cassandra: deps.cassandra,
      cassandraHosts: options.connection.cassandra.contactPoints,
      failure,
    },
    logger,
  );
  const deadLetterSource = { topic, group };
  const engine = new StreamEngine({
    intervalMs: options.intervalMs,
    availableNow: options.availableNow,
    availableNowTimeoutMs: options.availableNowTimeoutMs,
    maxBatch: options.maxBatch,
    commitIntervalMs: options.commitIntervalMs,
    writer: {
      maxRows: options.batchRows,
      maxBytes: options.batchBytes,
      concurrency: options.concurrency,
    },
    keyColumns: PARTITION_KEY_COLUMNS,
    deadLetterSource,
  }, {
    buffer,
    ledger,
    committer,
    store: sink,
    transform: (messages) => transformBatch(messages, dataset, catalog, deadLetterSource),
    logger,
    stopper,
    onBatch: (report) => {
      if (options.progress === "json") deps.out(JSON.stringify(progressJson(report, topic)));
      else logger.info(progressLine(report));
      observed?.metrics.recordBatch(report);
    },
    onWriteRetry: (error) => observed?.metrics.recordWriteRetry(cassandraFailureLabel(error)),
    sourceFailure: failure,
    pauseSource: () => source.pause(),
    rewindSource: (partition, offset) => source.seek(partition, offset),
  });
  // Each new assignment: fence the partitions' earlier owners, then re-read where they stand.
  source.onAssign = () => {
    engine.claim().catch((error) => {
      // Retriable failures were retried until stopped; this one cannot clear by waiting.
      claimFailure ??= error;
      stopper.stop();
    });
  };

  logger.info(
    `Streaming ${topic} -> ${dataset.keyspace}.${dataset.table} every ` +
      `${formatInterval(options.intervalMs)}${options.availableNow ? " (available-now)" : ""}, ` +
      `group ${group}`,
  );
  let totals: StreamTotals;
  // Joining can take up to a session timeout while a dead member still holds the partitions; the
  // loop runs meanwhile, to say so and to keep --available-now-timeout.
  const joining = source.start().catch((error) => {
    claimFailure ??= error;
    stopper.stop();
  });
  try {
    totals = await engine.run();
  } finally {
    stopper.dispose();
    // Leaving the group mid-join waits for the join; the group notices a silent member anyway.
    // The transactional producers close meanwhile: every batch in hand has committed.
    const [left] = await Promise.all([
      settledWithin(Promise.all([source.close(), joining]), CLOSE_WAIT_MS),
      settledWithin(committer.close(), CLOSE_WAIT_MS),
    ]);
    if (!left) {
      logger.warn(
        `Left without waiting for the group to answer (${CLOSE_WAIT_MS / 1000} s); ` +
          `it frees this member's partitions after its session timeout`,
      );
    }
    await observed?.server.close();
  }
  const summary = `Stream stopped after ${totals.batches} batches: ${totals.events} events, ` +
    `${totals.written} rows written, ${totals.deadLettered} dead-lettered, ` +
    `${totals.unmatched} unmatched`;
  // With --progress json, stdout holds only the JSON lines.
  if (options.progress === "json") logger.info(summary);
  else deps.out(summary);
  return totals;
}

import { byteSizeFlag, type Env, integerFlag, parseFlags, stringFlag } from "../lib/args.ts";
import type { CassandraClient } from "../lib/cassandra.ts";
import { CONSISTENCY_LEVELS, consistencyFlag, type ConsistencyName } from "../lib/consistency.ts";
import { openCatalog } from "../lib/catalog.ts";
import {
  CATALOG_FLAGS,
  CATALOG_HELP,
  type CatalogFlags,
  catalogFlags,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
} from "../lib/common_options.ts";
import { deadLetterTopic, PARTITION_KEY_COLUMNS } from "../lib/dataset.ts";
import { settledWithin } from "../lib/errors.ts";
import { formatInterval, parseInterval } from "../lib/interval.ts";
import type { KafkaClient } from "../lib/kafka.ts";
import type { Logger } from "../lib/log.ts";
import { KAFKA_FAILURES, retrying } from "../lib/retry.ts";
import { type Stopper, untilStopped } from "../lib/signals.ts";
import { CassandraSink } from "../lib/sink.ts";
import { transformBatch } from "../lib/stream/batch.ts";
import { MicroBatchBuffer } from "../lib/stream/buffer.ts";
import { TransactionalCommitter } from "../lib/stream/committer.ts";
import { StreamEngine, type StreamTotals } from "../lib/stream/engine.ts";
import { KafkaSource } from "../lib/stream/kafka_source.ts";
import { PartitionLedger } from "../lib/stream/ledger.ts";

/** Help of `./reviews stream`. */
export const STREAM_HELP = `Usage: ./reviews stream [flags]

Consumes the dataset's topic in a consumer group and, every interval (like a Spark
processing-time trigger), validates what arrived, enriches it from the catalog, buckets it by UTC
hour and writes it to Cassandra in partition-grouped UNLOGGED batches; only then are the offsets
committed, in one Kafka transaction with the batch's dead letters. Rows are idempotent (the
primary key comes from the event) and dead letters are transactional, so a replay after a crash
duplicates neither. A message that fails validation, or that Cassandra rejects, goes to the
dead-letter topic (<topic>.dlq) with the reason in its headers; read it with isolation level
read_committed. Ctrl-C finishes the batch in hand, commits, and exits 0.

Flags:
  --interval DURATION          trigger interval: 500ms, 10s, 2m [30s]
  --available-now              process what the topic holds at start, then exit 0 once every
                               partition is committed up to there (Spark's availableNow trigger)
  --available-now-timeout DURATION
                               give up (exit 1, naming the partitions and their lag) if the
                               backlog is not drained by then [10m]
  --group ID                   consumer group [reviews-<dataset>]; a new group starts at the
                               earliest offset
  --max-batch N                events per batch at most (Spark's maxOffsetsPerTrigger) [10000]
  --session-timeout DURATION   how long the group waits for a silent member (Kafka's
                               session.timeout.ms) before giving its partitions away [30s]
  --buffer-bytes SIZE          bytes of messages held for the next batch at most; fetching
                               pauses while full [32MiB]
  --batch-bytes SIZE           estimated bytes per Cassandra UNLOGGED batch, one partition key
                               each (Cassandra warns above 5KiB by default) [5KiB]
  --batch-rows N               rows per Cassandra batch at most [100]
  --concurrency N              Cassandra requests in flight [64]
  --consistency LEVEL          write consistency: ${Object.keys(CONSISTENCY_LEVELS).join(", ")}
                               [local_quorum]

${CATALOG_HELP}

${COMMON_HELP}`;

/** Options of stream. */
export interface StreamOptions extends CommonOptions, CatalogFlags {
  intervalMs: number;
  availableNow: boolean;
  group: string;
  maxBatch: number;
  concurrency: number;
  consistency: ConsistencyName;
  sessionTimeoutMs: number;
  availableNowTimeoutMs: number;
  bufferBytes: number;
  batchBytes: number;
  batchRows: number;
}

/** Turns stream's flags into options; pure. */
export function parseStreamOptions(args: readonly string[], env: Env): StreamOptions {
  const { values } = parseFlags("stream", args, {
    ...COMMON_FLAGS,
    ...CATALOG_FLAGS,
    interval: { type: "string" },
    "available-now": { type: "boolean" },
    group: { type: "string" },
    "max-batch": { type: "string" },
    concurrency: { type: "string" },
    consistency: { type: "string" },
    "session-timeout": { type: "string" },
    "available-now-timeout": { type: "string" },
    "buffer-bytes": { type: "string" },
    "batch-bytes": { type: "string" },
    "batch-rows": { type: "string" },
  });
  const common = commonOptions(values, env);
  return {
    ...common,
    ...catalogFlags(values, env),
    intervalMs: parseInterval("interval", stringFlag(values, "interval", env, undefined, "30s")),
    availableNow: values["available-now"] === true,
    group: stringFlag(values, "group", env, undefined, common.dataset.defaultGroup),
    maxBatch: integerFlag("max-batch", stringFlag(values, "max-batch", env, undefined, "10000"), {
      min: 1,
      max: 10_000_000,
    }),
    concurrency: integerFlag(
      "concurrency",
      stringFlag(values, "concurrency", env, undefined, "64"),
      { min: 1, max: 1024 },
    ),
    consistency: consistencyFlag(stringFlag(values, "consistency", env, undefined, "local_quorum")),
    sessionTimeoutMs: parseInterval(
      "session-timeout",
      stringFlag(values, "session-timeout", env, undefined, "30s"),
    ),
    availableNowTimeoutMs: parseInterval(
      "available-now-timeout",
      stringFlag(values, "available-now-timeout", env, undefined, "10m"),
    ),
    bufferBytes: byteSizeFlag(
      "buffer-bytes",
      stringFlag(values, "buffer-bytes", env, undefined, "32MiB"),
      { min: 1_024 },
    ),
    batchBytes: byteSizeFlag(
      "batch-bytes",
      stringFlag(values, "batch-bytes", env, undefined, "5KiB"),
      { min: 256, max: 16 * 1_048_576 },
    ),
    batchRows: integerFlag("batch-rows", stringFlag(values, "batch-rows", env, undefined, "100"), {
      min: 1,
      max: 65_535,
    }),
  };
}

/** How long shutdown waits for Kafka to acknowledge leaving, at most. */
const CLOSE_WAIT_MS = 3_000;

/** What stream needs from the outside world. */
export interface StreamDeps {
  kafka: KafkaClient;
  cassandra: CassandraClient;
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
  const catalog = await openCatalog(dataset, options, logger);
  await kafka.requireTopics([topic, dlqTopic], dataset.name);
  await deps.cassandra.connect();
  const sink = new CassandraSink(deps.cassandra, dataset, options.consistency);
  await sink.check();

  const stopper = deps.stop ??
    untilStopped((signal) =>
      logger.info(`${signal} received: finishing the batch in hand, then exiting`)
    );
  // A fresh broker may still be electing leaders or loading the group coordinator.
  const [watermarks, maxMessageBytes] = await retrying(
    { what: "reading the topic's offsets", kind: KAFKA_FAILURES, logger, stopper },
    async () =>
      [
        await (await kafka.admin()).fetchTopicOffsets(topic),
        await kafka.maxMessageBytes(dlqTopic),
      ] as const,
  );
  const ledger = new PartitionLedger(
    new Map(watermarks.map((mark) => [mark.partition, Number(mark.low)])),
    new Map(watermarks.map((mark) => [mark.partition, Number(mark.high)])),
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
  const deadLetterSource = { topic, group };
  const engine = new StreamEngine({
    intervalMs: options.intervalMs,
    availableNow: options.availableNow,
    availableNowTimeoutMs: options.availableNowTimeoutMs,
    maxBatch: options.maxBatch,
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
    sourceFailure: () => source.failure ?? claimFailure,
    pauseSource: () => source.pause(),
  });
  // Each new assignment: fence the partitions' earlier owners, then re-read where they stand.
  let claimFailure: unknown;
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
    if (!await settledWithin(Promise.all([source.close(), joining]), CLOSE_WAIT_MS)) {
      logger.warn(
        `Left without waiting for the group to answer (${CLOSE_WAIT_MS / 1000} s); ` +
          `it frees this member's partitions after its session timeout`,
      );
    }
    await settledWithin(committer.close(), CLOSE_WAIT_MS);
  }
  deps.out(
    `Stream stopped after ${totals.batches} batches: ${totals.events} events, ` +
      `${totals.written} rows written, ${totals.deadLettered} dead-lettered, ` +
      `${totals.unmatched} unmatched`,
  );
  return totals;
}

import { defineCommand } from "../lib/cli/command.ts";
import { type Env, flagHelp, option, readFlags, toggle } from "../lib/cli/flags.ts";
import { byteSize, choice, integer, type ListenAddress, nonEmpty } from "../lib/core/parse.ts";
import { progressJson, progressLine } from "../lib/stream/progress.ts";
import type { CqlSession } from "../lib/cassandra/client.ts";
import {
  CONSISTENCY_LEVELS,
  type ConsistencyName,
  parseConsistency,
} from "../lib/cassandra/consistency.ts";
import { openCatalog } from "../lib/pipeline/catalog.ts";
import {
  CATALOG_FLAGS,
  CATALOG_HELP,
  type CatalogFlags,
  catalogFlags,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
  METRICS_FLAGS,
  METRICS_HELP,
} from "../lib/cli/common_flags.ts";
import { deadLetterTopic, PARTITION_KEY_COLUMNS } from "../lib/pipeline/dataset.ts";
import { settledWithin } from "../lib/core/errors.ts";
import { formatInterval, parseInterval } from "../lib/core/interval.ts";
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

const STREAM_FLAGS = {
  interval: option({
    arg: "DURATION",
    help: "trigger interval: 500ms, 10s, 2m",
    default: "30s",
    parse: parseInterval,
  }),
  "available-now": toggle({
    help: "process what the topic holds at start, then exit 0 once every\n" +
      "partition is committed up to there (Spark's availableNow trigger)",
  }),
  "available-now-timeout": option({
    arg: "DURATION",
    help: "give up (exit 1, naming the partitions and their lag) if the\n" +
      "backlog is not drained by then",
    default: "10m",
    parse: parseInterval,
  }),
  group: option({
    arg: "ID",
    help: "consumer group; a new group starts at the earliest offset",
    defaultNote: "reviews-<dataset>",
    parse: nonEmpty(),
  }),
  "max-batch": option({
    arg: "N",
    help: "events per batch at most (Spark's maxOffsetsPerTrigger)",
    default: "10000",
    parse: integer({ min: 1, max: 10_000_000 }),
  }),
  "session-timeout": option({
    arg: "DURATION",
    help: "how long the group waits for a silent member (Kafka's\n" +
      "session.timeout.ms) before giving its partitions away",
    default: "30s",
    parse: parseInterval,
  }),
  "buffer-bytes": option({
    arg: "SIZE",
    help: "bytes of messages held for the next batch at most; fetching\npauses while full",
    default: "32MiB",
    parse: byteSize({ min: 1_024 }),
  }),
  "batch-bytes": option({
    arg: "SIZE",
    help: "estimated bytes per Cassandra UNLOGGED batch, one partition key\n" +
      "each (Cassandra warns above 5KiB by default)",
    default: "5KiB",
    parse: byteSize({ min: 256, max: 16 * 1_048_576 }),
  }),
  "batch-rows": option({
    arg: "N",
    help: "rows per Cassandra batch at most",
    default: "100",
    parse: integer({ min: 1, max: 65_535 }),
  }),
  concurrency: option({
    arg: "N",
    help: "Cassandra requests in flight",
    default: "64",
    parse: integer({ min: 1, max: 1024 }),
  }),
  consistency: option({
    arg: "LEVEL",
    help: `write consistency: ${Object.keys(CONSISTENCY_LEVELS).join(", ")}`,
    default: "local_quorum",
    parse: parseConsistency,
  }),
  progress: option({
    arg: "FORMAT",
    help: "text: a line per batch on stderr; json: one JSON object per batch on\n" +
      "stdout, shaped like Spark's StreamingQueryProgress",
    default: "text",
    parse: choice(["text", "json"] as const),
  }),
};

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

${flagHelp("Flags", STREAM_FLAGS)}

${CATALOG_HELP}

${METRICS_HELP}

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
  progress: "text" | "json";
  metricsAddr?: ListenAddress;
}

/** Turns stream's flags into options; pure. */
export function parseStreamOptions(args: readonly string[], env: Env): StreamOptions {
  const { values } = readFlags(
    "stream",
    {
      ...COMMON_FLAGS,
      ...CATALOG_FLAGS,
      ...STREAM_FLAGS,
      ...METRICS_FLAGS,
    },
    args,
    env,
  );
  const common = commonOptions(values);
  return {
    ...common,
    ...catalogFlags(values),
    intervalMs: values.interval,
    availableNow: values["available-now"],
    group: values.group ?? common.dataset.defaultGroup,
    maxBatch: values["max-batch"],
    concurrency: values.concurrency,
    consistency: values.consistency,
    sessionTimeoutMs: values["session-timeout"],
    availableNowTimeoutMs: values["available-now-timeout"],
    bufferBytes: values["buffer-bytes"],
    batchBytes: values["batch-bytes"],
    batchRows: values["batch-rows"],
    progress: values.progress,
    metricsAddr: values["metrics-addr"],
  };
}

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

/** `./reviews stream`. */
export const STREAM = defineCommand<StreamOptions>({
  name: "stream",
  summary: "consume, validate, enrich and write micro-batches to Cassandra",
  help: STREAM_HELP,
  parse: parseStreamOptions,
  run: async (options, { kafka, cassandra, logger, out }) => {
    await runStream(options, { kafka: await kafka(), cassandra: await cassandra(), logger, out });
  },
});

import type { Consumer, IHeaders, Message } from "kafkajs";
import { type Env, integerFlag, parseFlags, stringFlag } from "../lib/args.ts";
import {
  type CassandraClient,
  CONSISTENCY_LEVELS,
  consistencyFlag,
  type ConsistencyName,
} from "../lib/cassandra.ts";
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
import { deadLetterTopic } from "../lib/dataset.ts";
import { messageOf, ReviewsError } from "../lib/errors.ts";
import { decodeEvent, enrich } from "../lib/event.ts";
import { formatInterval, parseInterval } from "../lib/interval.ts";
import type { KafkaClient } from "../lib/kafka.ts";
import type { Logger } from "../lib/log.ts";
import { type Stopper, untilStopped } from "../lib/signals.ts";
import { CassandraSink } from "../lib/sink.ts";

/** Help of `./reviews stream`. */
export const STREAM_HELP = `Usage: ./reviews stream [flags]

Consumes the dataset's topic in a consumer group and, every interval (like a Spark
processing-time trigger), validates what arrived, enriches it from the catalog, buckets it by UTC
hour and writes it to Cassandra; only then are the offsets committed. Writes are idempotent (the
primary key comes from the event), so a replay after a crash never duplicates a row. A message
that fails validation goes to the dead-letter topic (<topic>.dlq) with the reason in its headers.
Ctrl-C finishes the batch in hand, commits, and exits 0.

Flags:
  --interval DURATION          trigger interval: 500ms, 10s, 2m [30s]
  --available-now              process what the topic holds at start, then exit 0
                               (Spark's availableNow trigger)
  --group ID                   consumer group [reviews-<dataset>]; a new group starts at the
                               earliest offset
  --max-batch N                events per batch at most (Spark's maxOffsetsPerTrigger) [20000]
  --session-timeout DURATION   how long the group waits for a silent member (Kafka's
                               session.timeout.ms) before giving its partitions away [30s]
  --concurrency N              Cassandra writes in flight [64]
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
  });
  const common = commonOptions(values, env);
  return {
    ...common,
    ...catalogFlags(values, env),
    intervalMs: parseInterval("interval", stringFlag(values, "interval", env, undefined, "30s")),
    availableNow: values["available-now"] === true,
    group: stringFlag(values, "group", env, undefined, common.dataset.defaultGroup),
    maxBatch: integerFlag("max-batch", stringFlag(values, "max-batch", env, undefined, "20000"), {
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
  };
}

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
export interface StreamResult {
  batches: number;
  events: number;
  written: number;
  deadLettered: number;
  unmatched: number;
}

/** One consumed message waiting for its batch. */
interface Pending {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: IHeaders;
}

/** Runs micro-batches until stopped, or until the topic is drained with --available-now. */
export async function runStream(options: StreamOptions, deps: StreamDeps): Promise<StreamResult> {
  const { dataset } = options;
  const { logger } = deps;
  const topic = dataset.topic;
  const dlqTopic = deadLetterTopic(topic);
  const catalog = await openCatalog(dataset, options, logger);

  await deps.kafka.requireTopics([topic, dlqTopic], dataset.name);
  await deps.cassandra.connect();
  const sink = new CassandraSink(deps.cassandra, dataset, options);
  await sink.check();

  const admin = await deps.kafka.admin();
  // Where each partition stands: the group's committed offset, else the earliest one. The
  // committed offsets are read again after each group join: another member may have committed
  // past this point (it left, and its partitions came here).
  const watermarks = await admin.fetchTopicOffsets(topic);
  const position = new Map(watermarks.map((mark) => [mark.partition, Number(mark.low)]));
  const highWatermark = new Map(watermarks.map((mark) => [mark.partition, Number(mark.high)]));
  const refreshPositions = async () => {
    const [entry] = await admin.fetchOffsets({ groupId: options.group, topics: [topic] });
    for (const { partition, offset } of entry?.partitions ?? []) {
      position.set(partition, Math.max(position.get(partition) ?? 0, Number(offset)));
    }
  };
  await refreshPositions();
  // With --available-now, the run ends once every assigned partition reaches its end at start.
  const target = new Map(watermarks.map((mark) => [mark.partition, Number(mark.high)]));

  const stopper = deps.stop ??
    untilStopped((signal) =>
      logger.info(`${signal} received: finishing the batch in hand, then exiting`)
    );
  const dlqProducer = await deps.kafka.producer({ allowAutoTopicCreation: false });
  const consumer = await deps.kafka.consumer({
    groupId: options.group,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3)),
  });

  let buffer: Pending[] = [];
  const lastBuffered = new Map<number, number>();
  let assigned: Set<number> | undefined;
  let fatal: unknown;
  let positionsFresh = true;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    positionsFresh = false;
    refreshPositions().catch((error) =>
      logger.warn(`Could not read the group's committed offsets: ${messageOf(error)}`)
    ).finally(() => positionsFresh = true);
    assigned = new Set(payload.memberAssignment[topic] ?? []);
    // Events of partitions now owned by another member are theirs to process; forgetting them
    // here (uncommitted) loses nothing and keeps two members from committing one partition.
    buffer = buffer.filter((pending) => assigned!.has(pending.partition));
    for (const partition of [...lastBuffered.keys()]) {
      if (!assigned.has(partition)) lastBuffered.delete(partition);
    }
    const list = [...assigned].sort((a, b) => a - b).join(", ") || "none";
    logger.info(`Joined group ${options.group}: partitions ${list} of ${topic}`);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      logger.warn(`Kafka consumer restarting after: ${messageOf(payload.error)}`);
    } else {
      fatal = payload.error;
      stopper.stop();
    }
  });
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const partition = batch.partition;
      highWatermark.set(partition, Number(batch.highWatermark));
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) return;
        const offset = Number(message.offset);
        // After a rejoin the client re-reads from the committed offset; skip what we hold.
        if (offset > (lastBuffered.get(partition) ?? -1)) {
          buffer.push({
            partition,
            offset,
            key: message.key,
            value: message.value,
            timestamp: message.timestamp,
            headers: message.headers,
          });
          lastBuffered.set(partition, offset);
        }
        resolveOffset(message.offset);
      }
      // Back-pressure: hold the fetch loop while a full batch waits, heartbeating meanwhile.
      while (buffer.length >= options.maxBatch && isRunning() && !isStale() && !stopper.stopped) {
        await heartbeat();
        await stopper.sleep(200);
      }
    },
  });

  const totals: StreamResult = { batches: 0, events: 0, written: 0, deadLettered: 0, unmatched: 0 };

  const drained = () =>
    assigned !== undefined && positionsFresh &&
    [...assigned].every((p) => (position.get(p) ?? 0) >= (target.get(p) ?? 0));
  const bufferReachesTarget = () =>
    assigned !== undefined && buffer.length > 0 &&
    [...assigned].every((p) =>
      (position.get(p) ?? 0) >= (target.get(p) ?? 0) ||
      (lastBuffered.get(p) ?? -1) + 1 >= (target.get(p) ?? 0)
    );
  const lag = () =>
    [...(assigned ?? [])].reduce(
      (sum, p) => sum + Math.max(0, (highWatermark.get(p) ?? 0) - (position.get(p) ?? 0)),
      0,
    );

  /** Retries `work` with backoff until it succeeds; the batch's offsets wait meanwhile. */
  const untilDone = async (what: string, events: number, work: () => Promise<unknown>) => {
    for (let attempt = 1;; attempt++) {
      try {
        await work();
        return;
      } catch (error) {
        if (stopper.stopped) {
          throw new ReviewsError(
            `Stopped while ${what} was failing (${messageOf(error)}); the ${events} events in ` +
              `hand were not committed and will be read again on the next start`,
          );
        }
        const backoff = Math.min(500 * 2 ** (attempt - 1), 30_000);
        logger.warn(
          `${what} failed (attempt ${attempt}): ${messageOf(error)}; retrying in ` +
            `${backoff} ms, offsets not committed`,
        );
        await stopper.sleep(backoff);
      }
    }
  };

  const runBatch = async () => {
    const owned = assigned ?? new Set<number>();
    const taken = buffer.filter((p) => owned.has(p.partition)).slice(0, options.maxBatch);
    if (taken.length === 0) return;
    const takenSet = new Set(taken);
    buffer = buffer.filter((pending) => !takenSet.has(pending));
    const started = performance.now();

    const rows: unknown[][] = [];
    const dead: Message[] = [];
    let unmatched = 0;
    for (const pending of taken) {
      const decoded = decodeEvent(pending.value, dataset);
      if (decoded.ok) {
        const row = enrich(decoded.event, catalog, dataset.attributes.length);
        rows.push(row.values);
        if (!row.matched) unmatched++;
      } else {
        dead.push({
          key: pending.key,
          value: pending.value,
          headers: {
            ...pending.headers,
            "dlq.reason": decoded.reason,
            "dlq.source.topic": topic,
            "dlq.source.partition": String(pending.partition),
            "dlq.source.offset": String(pending.offset),
            "dlq.source.timestamp": pending.timestamp,
            "dlq.group": options.group,
          },
        });
      }
    }
    // Dead letters and rows are durable before any offset moves past them.
    if (dead.length > 0) {
      await untilDone(
        "Sending to the dead-letter topic",
        taken.length,
        () => dlqProducer.send({ topic: dlqTopic, messages: dead, acks: -1 }),
      );
    }
    await untilDone("Writing to Cassandra", taken.length, () => sink.write(rows));

    const next = new Map<number, number>();
    for (const pending of taken) {
      next.set(pending.partition, Math.max(next.get(pending.partition) ?? 0, pending.offset + 1));
    }
    await commit(consumer, topic, next, logger);
    for (const [partition, offset] of next) position.set(partition, offset);

    totals.batches++;
    totals.events += taken.length;
    totals.written += rows.length;
    totals.deadLettered += dead.length;
    totals.unmatched += unmatched;
    logger.info(
      `batch ${totals.batches}: ${taken.length} events, ${rows.length} written, ` +
        `${dead.length} dead-lettered, ${unmatched} unmatched, lag ${lag()}, ` +
        `${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
  };

  logger.info(
    `Streaming ${topic} -> ${dataset.keyspace}.${dataset.table} every ` +
      `${formatInterval(options.intervalMs)}${options.availableNow ? " (available-now)" : ""}, ` +
      `group ${options.group}`,
  );
  try {
    let nextTrigger = performance.now() + options.intervalMs;
    while (!stopper.stopped) {
      const early = () =>
        buffer.length >= options.maxBatch || (options.availableNow && bufferReachesTarget());
      while (!stopper.stopped && performance.now() < nextTrigger && !early()) {
        if (options.availableNow && buffer.length === 0 && drained()) break;
        await stopper.sleep(Math.min(50, Math.max(1, nextTrigger - performance.now())));
      }
      if (stopper.stopped) break;
      // Triggers keep to the interval's grid; a batch that overran starts the next at once.
      const now = performance.now();
      while (nextTrigger <= now) nextTrigger += options.intervalMs;
      await runBatch();
      if (options.availableNow && buffer.length === 0 && drained()) break;
    }
    if (fatal !== undefined) {
      throw new ReviewsError(`The Kafka consumer stopped: ${messageOf(fatal)}`, undefined, {
        cause: fatal,
      });
    }
    // Stop fetching but stay in the group, so the last batch can still commit.
    consumer.pause([{ topic }]);
    while (buffer.some((pending) => assigned?.has(pending.partition))) await runBatch();
  } finally {
    stopper.dispose();
    await consumer.disconnect().catch(() => {});
    await dlqProducer.disconnect().catch(() => {});
  }
  deps.out(
    `Stream stopped after ${totals.batches} batches: ${totals.events} events, ` +
      `${totals.written} rows written, ${totals.deadLettered} dead-lettered, ` +
      `${totals.unmatched} unmatched`,
  );
  return totals;
}

/** Commits the next offsets; a rebalance may refuse it, which costs a replay, never an event. */
async function commit(
  consumer: Consumer,
  topic: string,
  next: Map<number, number>,
  logger: Logger,
): Promise<void> {
  try {
    await consumer.commitOffsets(
      [...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })),
    );
  } catch (error) {
    logger.warn(
      `Offsets not committed (${messageOf(error)}); the batch is stored and will be ` +
        `replayed idempotently by whoever owns the partitions next`,
    );
  }
}

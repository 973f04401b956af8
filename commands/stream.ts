import { defineCommand } from "../lib/cli/command.ts";
import { type Env, flagHelp, option, readFlags, toggle } from "../lib/cli/flags.ts";
import { byteSize, choice, integer, type ListenAddress, nonEmpty } from "../lib/core/parse.ts";
import {
  CONSISTENCY_LEVELS,
  type ConsistencyName,
  parseConsistency,
} from "../lib/cassandra/consistency.ts";
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
import { parseInterval } from "../lib/core/interval.ts";

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
  "commit-interval": option({
    arg: "DURATION",
    help: "while batches run back to back (a backlog), commit offsets at\n" +
      "most this often (Kafka Streams' commit.interval.ms); a batch with\n" +
      "dead letters, an idle moment and a stop commit at once; 1ms commits\n" +
      "every batch",
    default: "2s",
    parse: parseInterval,
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
  commitIntervalMs: number;
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
    commitIntervalMs: values["commit-interval"],
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

/** `./reviews stream`. */
export const STREAM = defineCommand<StreamOptions>({
  name: "stream",
  summary: "consume, validate, enrich and write micro-batches to Cassandra",
  help: STREAM_HELP,
  parse: parseStreamOptions,
  run: async (options, { kafka, cassandra, logger, out }) => {
    // Loaded only to run: help and usage errors need none of it.
    const { runStream } = await import("./stream_run.ts");
    await runStream(options, { kafka: await kafka(), cassandra: await cassandra(), logger, out });
  },
});

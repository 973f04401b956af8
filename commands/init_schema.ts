import { type Env, integerFlag, parseFlags, stringFlag } from "../lib/args.ts";
import type { CassandraClient } from "../lib/cassandra.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
} from "../lib/common_options.ts";
import { deadLetterTopic } from "../lib/dataset.ts";
import type { KafkaClient } from "../lib/kafka.ts";
import { ensureSchema, parseReplication, type Replication, replicationCql } from "../lib/schema.ts";

/** Help of `./reviews init-schema`. */
export const INIT_SCHEMA_HELP = `Usage: ./reviews init-schema [flags]

Creates the dataset's Kafka topics (events and dead letters) and its Cassandra keyspace and
table, when missing. Running it again changes nothing and says so. Returns once every Cassandra
node agrees on the schema.

Flags:
  --partitions N               partitions of a new topic [3]
  --replication-factor N       replication factor of a new topic [1]
  --keyspace-replication SPEC  replication of a new keyspace: a factor for SimpleStrategy (1),
                               or per-data-center factors for NetworkTopologyStrategy
                               (datacenter1:3,datacenter2:2) [1]

${COMMON_HELP}`;

/** Options of init-schema. */
export interface InitSchemaOptions extends CommonOptions {
  partitions: number;
  replicationFactor: number;
  keyspaceReplication: Replication;
}

/** Turns init-schema's flags into options; pure. */
export function parseInitSchemaOptions(args: readonly string[], env: Env): InitSchemaOptions {
  const { values } = parseFlags("init-schema", args, {
    ...COMMON_FLAGS,
    partitions: { type: "string" },
    "replication-factor": { type: "string" },
    "keyspace-replication": { type: "string" },
  });
  return {
    ...commonOptions(values, env),
    partitions: integerFlag("partitions", stringFlag(values, "partitions", env, undefined, "3"), {
      min: 1,
      max: 10_000,
    }),
    replicationFactor: integerFlag(
      "replication-factor",
      stringFlag(values, "replication-factor", env, undefined, "1"),
      { min: 1, max: 100 },
    ),
    keyspaceReplication: parseReplication(
      stringFlag(values, "keyspace-replication", env, undefined, "1"),
    ),
  };
}

/** What init-schema needs from the outside world. */
export interface InitSchemaDeps {
  kafka: KafkaClient;
  cassandra: CassandraClient;
  out: (line: string) => void;
}

/** Creates what is missing and reports each object as created or already there. */
export async function runInitSchema(
  options: InitSchemaOptions,
  { kafka, cassandra, out }: InitSchemaDeps,
): Promise<{ changed: boolean }> {
  const { dataset } = options;
  // Both services first, so a missing one fails before anything is created in the other.
  await kafka.ping();
  await cassandra.connect();

  const topics = await kafka.ensureTopics(
    [dataset.topic, deadLetterTopic(dataset.topic)].map((topic) => ({
      topic,
      numPartitions: options.partitions,
      replicationFactor: options.replicationFactor,
    })),
  );
  for (const topic of topics.created) {
    out(
      `Kafka topic ${topic}: created (${options.partitions} partitions, replication factor ` +
        `${options.replicationFactor})`,
    );
  }
  // An empty list would describe every topic in the cluster.
  const described = topics.existing.length === 0
    ? { topics: [] }
    : await (await kafka.admin()).fetchTopicMetadata({ topics: topics.existing });
  for (const topic of described.topics) {
    out(
      `Kafka topic ${topic.name}: already exists (${topic.partitions.length} partitions), unchanged`,
    );
  }

  const schema = await ensureSchema(cassandra, dataset, options.keyspaceReplication);
  const replication = Object.entries(schema.replication)
    .map(([key, value]) => `${key}=${value.replace("org.apache.cassandra.locator.", "")}`)
    .join(", ");
  out(
    schema.keyspace === "created"
      ? `Cassandra keyspace ${dataset.keyspace}: created (${replication})`
      : `Cassandra keyspace ${dataset.keyspace}: already exists (${replication}), unchanged`,
  );
  if (
    schema.keyspace === "exists" &&
    !sameReplication(schema.replication, options.keyspaceReplication)
  ) {
    out(
      `  note: the flags asked for ${replicationCql(options.keyspaceReplication)}; ` +
        `init-schema never alters an existing keyspace (use ALTER KEYSPACE)`,
    );
  }
  out(
    schema.table === "created"
      ? `Cassandra table ${dataset.keyspace}.${dataset.table}: created`
      : `Cassandra table ${dataset.keyspace}.${dataset.table}: already exists, unchanged`,
  );
  out(schema.agreed ? "Schema agreed on every node." : "warning: schema agreement not reached yet");
  const changed = topics.created.length > 0 || schema.keyspace === "created" ||
    schema.table === "created";
  if (!changed) out("Nothing to do: everything already existed.");
  return { changed };
}

function sameReplication(actual: Record<string, string>, wanted: Replication): boolean {
  const strategy = (actual.class ?? "").split(".").pop();
  if (strategy !== wanted.strategy) return false;
  if (wanted.strategy === "SimpleStrategy") {
    return Number(actual.replication_factor) === wanted.factor;
  }
  return Object.entries(wanted.dataCenters).every(([dc, n]) => Number(actual[dc]) === n);
}

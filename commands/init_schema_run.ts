/** `./reviews init-schema` itself, loaded only to run it (see init_schema.ts). */
import { pipelineCassandraGrants, pipelineKafkaGrants } from "../lib/stream/permissions.ts";
import type { CqlSchemaSession } from "../lib/cassandra/client.ts";
import { deadLetterTopic } from "../lib/pipeline/dataset.ts";
import type { KafkaClient } from "../lib/kafka/client.ts";
import {
  ensureSchema,
  formatTtl,
  type Replication,
  replicationCql,
} from "../lib/cassandra/schema.ts";
import type { InitSchemaOptions } from "./init_schema.ts";

/** What init-schema needs from the outside world. */
export interface InitSchemaDeps {
  kafka: Pick<KafkaClient, "ping" | "ensureTopics" | "partitionCounts" | "grant">;
  cassandra: CqlSchemaSession;
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
      configEntries: [{ name: "min.insync.replicas", value: String(options.minInsyncReplicas) }],
    })),
  );
  for (const topic of topics.created) {
    out(
      `Kafka topic ${topic}: created (${options.partitions} partitions, replication factor ` +
        `${options.replicationFactor}, min.insync.replicas ${options.minInsyncReplicas})`,
    );
  }
  for (const [topic, partitions] of await kafka.partitionCounts(topics.existing)) {
    out(`Kafka topic ${topic}: already exists (${partitions} partitions), unchanged`);
  }

  const schema = await ensureSchema(
    cassandra,
    dataset,
    options.keyspaceReplication,
    options.ttlSeconds,
  );
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
  const table = `${dataset.keyspace}.${dataset.table}`;
  const ttl = `default_time_to_live ${formatTtl(schema.ttlSeconds)}`;
  out(
    schema.table === "created"
      ? `Cassandra table ${table}: created (${ttl})`
      : `Cassandra table ${table}: already exists (${ttl}), unchanged`,
  );
  if (
    schema.table === "exists" && options.ttlSeconds !== undefined &&
    options.ttlSeconds !== schema.ttlSeconds
  ) {
    out(
      `  note: --ttl asked for ${formatTtl(options.ttlSeconds)}; init-schema never alters an ` +
        `existing table. To change it (new writes only; rows written before keep their TTL): ` +
        `ALTER TABLE ${table} WITH default_time_to_live = ${options.ttlSeconds};`,
    );
  }
  out(schema.agreed ? "Schema agreed on every node." : "warning: schema agreement not reached yet");
  if (options.grant !== undefined) {
    const { name, group } = options.grant;
    const dlq = deadLetterTopic(dataset.topic);
    await kafka.grant(name, pipelineKafkaGrants(dataset.topic, dlq, group));
    out(
      `Kafka user ${name}: may produce to and consume ${dataset.topic}, write ${dlq}, use group ` +
        `${group} and its transactions`,
    );
    for (const statement of pipelineCassandraGrants(dataset.keyspace, name)) {
      await cassandra.execute(statement, [], { prepare: false });
    }
    out(`Cassandra role ${name}: SELECT and MODIFY on keyspace ${dataset.keyspace}`);
  }
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

/**
 * The least the pipeline needs, as init-schema --grant gives it to one user: produce to the
 * topic, consume it in the group, send dead letters, and commit in transactions; in Cassandra,
 * read and write the keyspace. Nothing else: no topic or keyspace creation, no other topic.
 */
import type { KafkaGrant } from "../kafka/client.ts";
import { transactionalIdPrefix } from "./committer.ts";

/** The Kafka ACLs `produce` and `stream` need on a topic, its dead-letter topic and a group. */
export function pipelineKafkaGrants(topic: string, dlqTopic: string, group: string): KafkaGrant[] {
  return [
    // produce writes the topic; stream reads it, lists its offsets and reads its partitions.
    { resource: "topic", name: topic, operations: ["read", "write", "describe"] },
    // stream sends dead letters and reads the topic's max.message.bytes to size them.
    { resource: "topic", name: dlqTopic, operations: ["write", "describe", "describe-configs"] },
    { resource: "group", name: group, operations: ["read", "describe"] },
    // One transactional producer per source partition: reviews.<group>.<topic>.<partition>.
    {
      resource: "transactional-id",
      name: transactionalIdPrefix({ group, topic }),
      prefixed: true,
      operations: ["write", "describe"],
    },
    // Both produce and stream use idempotent producers.
    { resource: "cluster", name: "kafka-cluster", operations: ["idempotent-write"] },
  ];
}

/** The CQL that lets a role read and write a keyspace's tables (and nothing more). */
export function pipelineCassandraGrants(keyspace: string, role: string): string[] {
  return ["SELECT", "MODIFY"].map((permission) =>
    `GRANT ${permission} ON KEYSPACE ${keyspace} TO ${role}`
  );
}

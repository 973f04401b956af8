import assert from "node:assert/strict";
import { transactionalId } from "./committer.ts";
import { pipelineCassandraGrants, pipelineKafkaGrants } from "./permissions.ts";

Deno.test("the pipeline's Kafka grants cover its topics, group and transactional ids, no more", () => {
  const grants = pipelineKafkaGrants("t", "t.dlq", "g");
  assert.deepEqual(grants.map((g) => [g.resource, g.name, g.prefixed ?? false]), [
    ["topic", "t", false],
    ["topic", "t.dlq", false],
    ["group", "g", false],
    ["transactional-id", "reviews.g.t.", true],
    ["cluster", "kafka-cluster", false],
  ]);
  assert.ok(transactionalId({ group: "g", topic: "t" }, 2).startsWith(grants[3].name));
  assert.ok(!grants.some((g) => g.operations.includes("write") && g.resource === "group"));
});

Deno.test("the pipeline's Cassandra grants are SELECT and MODIFY on its keyspace", () => {
  assert.deepEqual(pipelineCassandraGrants("ks", "pipeline"), [
    "GRANT SELECT ON KEYSPACE ks TO pipeline",
    "GRANT MODIFY ON KEYSPACE ks TO pipeline",
  ]);
});

import assert from "node:assert/strict";
import { mustParse } from "../lib/core/parse.ts";
import { parseReplication, replicationCql, schemaStatements } from "../lib/cassandra/schema.ts";
import { datasetByName, tableColumns } from "../lib/pipeline/dataset.ts";
import { parseInitSchemaOptions } from "./init_schema.ts";

Deno.test("parseInitSchemaOptions() defaults: 3 partitions, replication factor 1, SimpleStrategy 1", () => {
  const options = parseInitSchemaOptions([], {});
  assert.equal(options.partitions, 3);
  assert.equal(options.replicationFactor, 1);
  assert.deepEqual(options.keyspaceReplication, { strategy: "SimpleStrategy", factor: 1 });
});

Deno.test("--min-insync-replicas defaults to 2 with a factor of 3, 1 below; never above the factor", () => {
  assert.equal(parseInitSchemaOptions([], {}).minInsyncReplicas, 1);
  assert.equal(parseInitSchemaOptions(["--replication-factor", "3"], {}).minInsyncReplicas, 2);
  assert.equal(
    parseInitSchemaOptions(["--replication-factor", "3", "--min-insync-replicas", "3"], {})
      .minInsyncReplicas,
    3,
  );
  assert.throws(
    () => parseInitSchemaOptions(["--min-insync-replicas", "2"], {}),
    /--min-insync-replicas \(2\) is above --replication-factor \(1\)/,
  );
});

Deno.test("--grant takes a plain role name and covers the dataset's group unless told", () => {
  assert.deepEqual(parseInitSchemaOptions(["--grant", "pipeline"], {}).grant, {
    name: "pipeline",
    group: "reviews-movies",
  });
  assert.deepEqual(parseInitSchemaOptions(["--grant", "p", "--group", "g"], {}).grant, {
    name: "p",
    group: "g",
  });
  assert.throws(() => parseInitSchemaOptions(["--grant", "Robert'); DROP"], {}), /--grant takes/);
});

Deno.test("parseReplication() reads a factor or per-data-center factors", () => {
  assert.equal(
    replicationCql(mustParse(parseReplication, "3")),
    "{'class': 'SimpleStrategy', 'replication_factor': 3}",
  );
  assert.equal(
    replicationCql(mustParse(parseReplication, "dc1:3,dc2:2")),
    "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}",
  );
  assert.throws(() => mustParse(parseReplication, "0"), /is not a replication/);
  assert.throws(() => mustParse(parseReplication, "dc1:0"), /is not a replication/);
});

Deno.test("schemaStatements() fills in the keyspace and replication of each dataset's CQL", async () => {
  for (const name of ["movies", "songs"]) {
    const dataset = datasetByName(name);
    const statements = await schemaStatements(dataset, { strategy: "SimpleStrategy", factor: 1 });
    assert.equal(statements.length, 2);
    assert.match(
      statements[0],
      new RegExp(
        `^CREATE KEYSPACE IF NOT EXISTS ${dataset.keyspace}\\s+WITH replication = \\{'class': 'SimpleStrategy'`,
      ),
    );
    assert.match(
      statements[1],
      new RegExp(`^CREATE TABLE IF NOT EXISTS ${dataset.keyspace}\\.${dataset.table} \\(`),
    );
    // Every column the pipeline writes is declared, and the key is a person's hour.
    for (const column of tableColumns(dataset)) {
      assert.match(statements[1], new RegExp(`\\n  ${column} \\w+,`), column);
    }
    assert.match(
      statements[1],
      new RegExp(
        `PRIMARY KEY \\(\\(${dataset.personField}, hour\\), time, ${dataset.itemField}\\)`,
      ),
    );
  }
});

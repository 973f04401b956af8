import assert from "node:assert/strict";
import { DATASETS, HOUR_COLUMN, tableColumns, TIME_FIELD } from "../pipeline/dataset.ts";
import { Invalid, mustParse } from "../core/parse.ts";
import { formatTtl, parseTtl, schemaStatements } from "./schema.ts";

/** The columns (name and CQL type, in order) and the primary key of a CREATE TABLE statement. */
function parseCreateTable(statement: string) {
  // From the first parenthesis to the line that closes it (the table options follow).
  const body = statement.slice(statement.indexOf("(") + 1, statement.indexOf("\n)"));
  const lines = body.split("\n").map((line) => line.trim().replace(/,$/, "")).filter(Boolean);
  const key = lines.find((line) => line.startsWith("PRIMARY KEY"))!;
  const columns = lines.filter((line) => !line.startsWith("PRIMARY KEY"))
    .map((line) => line.split(/\s+/) as [string, string]);
  const [, partition, clustering] = key.match(/PRIMARY KEY \(\(([^)]*)\),\s*(.*)\)$/)!;
  return {
    columns,
    partitionKey: partition.split(",").map((name) => name.trim()),
    clusteringKey: clustering.split(",").map((name) => name.trim()),
  };
}

// The table's columns live in cql/ (what users read and run) and in lib/dataset.ts (what the code
// writes); this keeps the two the same.
for (const dataset of Object.values(DATASETS)) {
  Deno.test(`cql/${dataset.schemaFile} declares exactly the ${dataset.name} dataset's columns, types and key`, async () => {
    const statements = await schemaStatements(dataset, { strategy: "SimpleStrategy", factor: 1 });
    const create = statements.find((s) =>
      s.startsWith(`CREATE TABLE IF NOT EXISTS ${dataset.keyspace}.${dataset.table} `)
    );
    assert.ok(create, `no CREATE TABLE for ${dataset.keyspace}.${dataset.table}`);
    const table = parseCreateTable(create);
    assert.deepEqual(table.columns.map(([name]) => name), tableColumns(dataset));
    const expectedTypes = [
      "text",
      "text",
      "timestamp",
      "text",
      ...dataset.measures.map(() => "int"),
      ...dataset.attributes.map((attribute) => attribute.type),
    ];
    assert.deepEqual(table.columns.map(([, type]) => type), expectedTypes);
    assert.deepEqual(table.partitionKey, [dataset.personField, HOUR_COLUMN]);
    assert.deepEqual(table.clusteringKey, [TIME_FIELD, dataset.itemField]);
  });
}

Deno.test("parseTtl() reads seconds to days, 0 or none; formatTtl() writes the largest unit", () => {
  assert.equal(mustParse(parseTtl, "90d"), 90 * 86_400);
  assert.equal(mustParse(parseTtl, "12h"), 43_200);
  assert.equal(mustParse(parseTtl, "3600s"), 3_600);
  assert.equal(mustParse(parseTtl, "none"), 0);
  assert.equal(mustParse(parseTtl, "0"), 0);
  for (const bad of ["90", "1y", "-1d", "7301d", ""]) {
    assert.ok(parseTtl(bad) instanceof Invalid, bad);
  }
  assert.deepEqual([0, 59, 120, 7_200, 86_400 * 90].map(formatTtl), [
    "none",
    "59s",
    "2m",
    "2h",
    "90d",
  ]);
});

Deno.test("schemaStatements() sets the table's default_time_to_live", async () => {
  const statements = await schemaStatements(
    DATASETS.movies,
    { strategy: "SimpleStrategy", factor: 1 },
    3_600,
  );
  assert.match(statements[1], /AND default_time_to_live = 3600$/);
});

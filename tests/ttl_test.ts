/** `init-schema --ttl` on real Cassandra: new tables get it, existing ones are never altered. */
import assert from "node:assert/strict";
import { cleanUp, drain, runCliOk, uniqueName } from "./support/helpers.ts";

Deno.test("init-schema --ttl sets a new table's TTL, rows expire by it, and an existing table is only told about", async () => {
  const id = uniqueName("ttl");
  const flags = ["--topic", id, "--keyspace", id];
  try {
    const first = await runCliOk(["init-schema", ...flags, "--ttl", "1h"]);
    assert.match(first.stdout, /table .*movie_reviews: created \(default_time_to_live 1h\)/);

    await runCliOk(["produce", ...flags, "--count", "5", "--rate", "max", "--seed", "3"]);
    await drain(flags, id);
    const ttl = await runCliOk([
      "query",
      "cql",
      "SELECT TTL(rating) AS ttl FROM movie_reviews",
      "--keyspace",
      id,
      "--json",
    ]);
    const rows = JSON.parse(ttl.stdout) as { ttl: number }[];
    assert.equal(rows.length, 5);
    for (const { ttl } of rows) assert.ok(ttl > 3_500 && ttl <= 3_600, `TTL ${ttl}`);

    const again = await runCliOk(["init-schema", ...flags, "--ttl", "2h"]);
    assert.match(again.stdout, /already exists \(default_time_to_live 1h\), unchanged/);
    assert.match(
      again.stdout,
      new RegExp(`ALTER TABLE ${id}\\.movie_reviews WITH default_time_to_live = 7200;`),
    );
    const unchanged = await runCliOk(["init-schema", ...flags]);
    assert.match(unchanged.stdout, /default_time_to_live 1h\), unchanged/);
    assert.doesNotMatch(unchanged.stdout, /ALTER TABLE/);
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

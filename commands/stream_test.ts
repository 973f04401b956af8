import assert from "node:assert/strict";
import { parseStreamOptions } from "./stream.ts";

Deno.test("parseStreamOptions() defaults follow the dataset: 30 s trigger, group reviews-<dataset>", () => {
  const movies = parseStreamOptions([], {});
  assert.equal(movies.intervalMs, 30_000);
  assert.equal(movies.group, "reviews-movies");
  assert.equal(movies.availableNow, false);
  assert.equal(movies.consistency, "local_quorum");
  assert.equal(movies.concurrency, 64);
  const songs = parseStreamOptions(["--dataset", "songs"], {});
  assert.equal(songs.group, "reviews-songs");
  assert.equal(songs.dataset.keyspace, "spotify");
});

Deno.test("parseStreamOptions() reads the trigger, group, batch bound and consistency", () => {
  const options = parseStreamOptions(
    [
      "--interval",
      "500ms",
      "--available-now",
      "--group",
      "g1",
      "--max-batch",
      "100",
      "--consistency",
      "ONE",
    ],
    {},
  );
  assert.equal(options.intervalMs, 500);
  assert.equal(options.availableNow, true);
  assert.equal(options.group, "g1");
  assert.equal(options.maxBatch, 100);
  assert.equal(options.consistency, "one");
});

Deno.test("parseStreamOptions() refuses an unknown consistency level, listing the valid ones", () => {
  assert.throws(() => parseStreamOptions(["--consistency", "most"], {}), /unknown level 'most'/);
});

Deno.test("parseStreamOptions() refuses keyspace and topic names Cassandra or Kafka would refuse", () => {
  assert.throws(
    () => parseStreamOptions(["--keyspace", "my-keyspace"], {}),
    /not a valid keyspace name/,
  );
  assert.throws(() => parseStreamOptions(["--topic", "a topic"], {}), /not a valid topic name/);
});

/** Both datasets on the same services: running one never touches the other's data. */
import assert from "node:assert/strict";
import { DATASETS, deadLetterTopic } from "../lib/pipeline/dataset.ts";
import {
  cassandraForTests,
  cleanUp,
  committedOffsets,
  countRows,
  drain,
  endOffsets,
  runCliOk,
  uniqueName,
} from "./support/helpers.ts";

Deno.test("the datasets' default topics, groups, keyspaces and tables are all distinct", () => {
  const [movies, songs] = [DATASETS.movies, DATASETS.songs];
  for (const field of ["topic", "keyspace", "table", "defaultGroup"] as const) {
    assert.notEqual(movies[field], songs[field], field);
  }
  assert.notEqual(deadLetterTopic(movies.topic), deadLetterTopic(songs.topic));
});

Deno.test("movies and songs run side by side without touching each other's topics, groups or rows", async () => {
  const id = uniqueName("side");
  const setups = {
    movies: {
      topic: `${id}_movies`,
      keyspace: `${id}_movies`,
      group: `${id}_movies`,
      table: DATASETS.movies.table,
    },
    songs: {
      topic: `${id}_songs`,
      keyspace: `${id}_songs`,
      group: `${id}_songs`,
      table: DATASETS.songs.table,
    },
  };
  const flags = (
    name: keyof typeof setups,
  ) => ["--dataset", name, "--topic", setups[name].topic, "--keyspace", setups[name].keyspace];
  const snapshot = async (name: keyof typeof setups) => {
    const cassandra = await cassandraForTests();
    try {
      return {
        ends: [...(await endOffsets(setups[name].topic))],
        dlq: [...(await endOffsets(deadLetterTopic(setups[name].topic)))],
        committed: [...(await committedOffsets(setups[name].group, setups[name].topic))],
        rows: await countRows(cassandra, setups[name].keyspace, setups[name].table),
      };
    } finally {
      await cassandra.close();
    }
  };
  try {
    for (const name of ["movies", "songs"] as const) {
      await runCliOk(["init-schema", ...flags(name)]);
    }
    const run = async (name: keyof typeof setups) => {
      await runCliOk(["produce", ...flags(name), "--count", "200", "--rate", "max", "--seed", "9"]);
      await drain(flags(name), setups[name].group);
    };
    await run("movies");
    const moviesBefore = await snapshot("movies");
    assert.equal(moviesBefore.rows, 200);
    await run("songs");
    assert.deepEqual(await snapshot("movies"), moviesBefore, "the songs run left movies alone");
    const songsBefore = await snapshot("songs");
    assert.equal(songsBefore.rows, 200);
    await run("movies");
    assert.deepEqual(
      await snapshot("songs"),
      songsBefore,
      "the second movies run left songs alone",
    );
    assert.equal((await snapshot("movies")).rows, 400);
  } finally {
    for (const setup of Object.values(setups)) {
      await cleanUp({ keyspace: setup.keyspace, topic: setup.topic });
    }
  }
});

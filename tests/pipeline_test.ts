/**
 * The pipeline end to end on real Kafka and Cassandra, for both datasets: what `query` answers
 * must equal what the test computes itself from the events it reads back from the topic.
 */
import assert from "node:assert/strict";
import { loadCatalog } from "../lib/pipeline/catalog.ts";
import { datasetByName, numericColumns } from "../lib/pipeline/dataset.ts";
import { dataPath } from "../lib/core/resources.ts";
import { sharedDataset } from "./support/datasets.ts";
import {
  assertAllCommitted,
  cleanUp,
  CliProcess,
  drain,
  readTopic,
  runCli,
  runCliOk,
  tableRows,
  uniqueName,
} from "./support/helpers.ts";

const ME = "Ada Lovelace";
const EVENTS = 400;

interface Produced {
  person: string;
  item: string;
  time: string;
  hour: string;
  rating?: number;
}

for (const name of ["movies", "songs"]) {
  const dataset = datasetByName(name);

  Deno.test(`${name}: produce, stream --available-now and query agree with the produced events`, async (t) => {
    const id = uniqueName(name);
    const flags = ["--dataset", name, "--topic", id, "--keyspace", id];
    try {
      await t.step("init-schema creates everything, and a second run changes nothing", async () => {
        const first = await runCliOk(["init-schema", ...flags]);
        assert.match(first.stdout, new RegExp(`Kafka topic ${id}: created \\(3 partitions`));
        assert.match(first.stdout, new RegExp(`Kafka topic ${id}\\.dlq: created`));
        assert.match(first.stdout, new RegExp(`Cassandra keyspace ${id}: created`));
        assert.match(first.stdout, new RegExp(`Cassandra table ${id}\\.${dataset.table}: created`));
        const second = await runCliOk(["init-schema", ...flags]);
        assert.match(second.stdout, /Nothing to do: everything already existed\./);
        assert.doesNotMatch(second.stdout, /: created/);
      });

      await runCliOk([
        "produce",
        ...flags,
        "--count",
        String(EVENTS),
        "--rate",
        "max",
        "--seed",
        "42",
        "--people",
        "5",
        "--me",
        ME,
      ]);
      const events: Produced[] = (await readTopic(id, EVENTS)).map((message) => {
        const body = JSON.parse(message.value!.toString());
        const time = new Date(body.time);
        return {
          person: body[dataset.personField],
          item: body[dataset.itemField],
          time: body.time,
          hour: `${time.toISOString().slice(0, 13).replace("T", " ")}:00`,
          rating: body.rating,
        };
      });
      const keys = new Set(events.map((e) => `${e.person}|${e.time}|${e.item}`));
      assert.equal(keys.size, EVENTS, "the produced events have distinct primary keys");

      const group = `${id}_group`;
      await t.step(
        "stream --available-now stores every event and commits every offset",
        async () => {
          const run = await drain(flags, group);
          assert.match(
            run.stdout,
            new RegExp(`${EVENTS} events, ${EVENTS} rows written, 0 dead-lettered, 0 unmatched`),
          );
          assert.match(
            run.stderr,
            /batch 1: \d+ events, \d+ written, 0 dead-lettered, 0 unmatched, lag \d+, [\d.]+ s/,
          );
          assert.equal(await tableRows(id, dataset.table), EVENTS);
          await assertAllCommitted(group, id);
        },
      );

      // The named person's busiest hour, as a user would query it.
      const mine = events.filter((e) => e.person === ME);
      assert.ok(mine.length > 0, "--me is in the pool");
      const byHour = Map.groupBy(mine, (e) => e.hour);
      const [hour, inHour] = [...byHour].sort((a, b) => b[1].length - a[1].length)[0];

      await t.step("query titles lists the person's titles in time order", async () => {
        const run = await runCliOk([
          "query",
          "titles",
          ...flags,
          "--person",
          ME,
          "--hour",
          hour,
          "--json",
        ]);
        const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
        const expected = inHour
          .toSorted((a, b) =>
            a.time.localeCompare(b.time) || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0)
          )
          .map((e) => ({
            time: e.time,
            [dataset.itemField]: e.item,
            ...(name === "movies" ? { rating: e.rating } : {}),
          }));
        assert.deepEqual(rows, expected);
      });

      await t.step(
        "query avg matches the mean computed from the events and the catalog",
        async () => {
          const catalog = await loadCatalog(dataPath(dataset.catalogFile), dataset);
          for (const column of numericColumns(dataset).filter((c) => c !== "streams")) {
            const values = inHour.map((e) => {
              if (column === "rating") return e.rating!;
              const index = dataset.attributes.findIndex((a) => a.name === column);
              return catalog.entries.get(e.item)![index] as number | null;
            }).filter((v): v is number => v !== null);
            const run = await runCliOk([
              "query",
              "avg",
              column,
              ...flags,
              "--person",
              ME,
              "--hour",
              hour,
              "--json",
            ]);
            const answer = JSON.parse(run.stdout);
            assert.equal(answer.rows, inHour.length, column);
            assert.equal(answer.rows_with_value, values.length, column);
            if (values.length === 0) {
              assert.equal(answer.average, null, column);
            } else {
              const mean = values.reduce((a, b) => a + b, 0) / values.length;
              assert.ok(
                Math.abs(answer.average - mean) <= 1e-9 * Math.max(1, Math.abs(mean)),
                `${column}: ${answer.average} vs ${mean}`,
              );
            }
          }
        },
      );

      await t.step("the report queries in cql/ work as written against the table", async () => {
        const file = name === "movies" ? "queries.cql" : "songs_queries.cql";
        const statements = (await Deno.readTextFile(`${dataPath("..")}/cql/${file}`))
          .split("\n").filter((line) => line.startsWith("SELECT"))
          .map((line) =>
            line.replaceAll("'Ada Lovelace'", `'${ME}'`).replaceAll(
              "'2024-03-01 14:00'",
              `'${hour}'`,
            )
          );
        assert.equal(statements.length, 2);
        const listed = await runCliOk(["query", "cql", statements[0], ...flags, "--json"]);
        assert.deepEqual(
          (JSON.parse(listed.stdout) as Record<string, string>[]).map((row) =>
            row[dataset.itemField]
          ).sort(),
          inHour.map((e) => e.item).sort(),
        );
        const averaged = await runCliOk(["query", "cql", statements[1], ...flags, "--json"]);
        assert.equal(JSON.parse(averaged.stdout).length, 1);
      });

      await t.step(
        "replay under a new group rewrites the same rows: the count does not change",
        async () => {
          const run = await drain(flags, `${id}_replay`);
          assert.match(run.stdout, new RegExp(`${EVENTS} events, ${EVENTS} rows written`));
          assert.equal(await tableRows(id, dataset.table), EVENTS);
        },
      );

      await t.step("a second run of the same group finds nothing new", async () => {
        const run = await drain(flags, group);
        assert.match(run.stdout, /after 0 batches: 0 events/);
      });
    } finally {
      await cleanUp({ keyspace: id, topic: id });
    }
  });
}

Deno.test("produce stops on SIGINT: flushes, prints the total and exits 0, and every event sent is in the topic", async () => {
  const id = uniqueName("sigint");
  try {
    await runCliOk(["init-schema", "--topic", id, "--keyspace", id]);
    const producer = new CliProcess([
      "produce",
      "--topic",
      id,
      "--interval",
      "50ms",
      "--progress-every",
      "200ms",
    ]);
    await producer.waitFor(/sent \d+, /, 30_000);
    const stopped = await producer.stop("SIGINT");
    assert.equal(stopped.code, 0, stopped.stderr);
    const sent = Number(stopped.stdout.match(/^Sent (\d+) reviews to /)?.[1]);
    assert.ok(sent > 0, stopped.stdout);
    assert.equal((await readTopic(id, sent)).length, sent);
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

const SPOTIFY_2023 = sharedDataset("spotify-2023.csv");
const haveSpotify2023 = await Deno.stat(SPOTIFY_2023).then(() => true, () => false);

Deno.test({
  name: haveSpotify2023
    ? "songs from the spotify-2023 export run end to end through its mapping file"
    : `songs from the spotify-2023 export run end to end (skipped: ${SPOTIFY_2023} is absent)`,
  ignore: !haveSpotify2023,
}, async () => {
  const id = uniqueName("spotify2023");
  const target = ["--dataset", "songs", "--topic", id, "--keyspace", id];
  const flags = [
    ...target,
    "--catalog",
    SPOTIFY_2023,
    "--catalog-mapping",
    dataPath("mappings/spotify-2023.json"),
  ];
  try {
    await runCliOk(["init-schema", ...target]);
    const produced = await runCliOk([
      "produce",
      ...flags,
      "--count",
      "300",
      "--rate",
      "max",
      "--seed",
      "1",
    ]);
    // The loader reports what it skipped, with line numbers, and carries on.
    assert.match(
      produced.stderr,
      /953 rows, 833 keys, 10 duplicate keys skipped \(first wins\), 110 unreadable rows skipped/,
    );
    assert.match(produced.stderr, /spotify-2023\.csv:\d+: track_name: invalid UTF-8 in the key/);
    const run = await drain(flags, id);
    assert.match(run.stdout, /300 events, 300 rows written, 0 dead-lettered, 0 unmatched/);
    const sample = JSON.parse(
      (await runCliOk(["query", "sample", ...target, "--limit", "300", "--json"]))
        .stdout,
    ) as Record<
      string,
      number | string | null
    >[];
    assert.equal(sample.length, 300);
    for (const row of sample) {
      assert.ok(
        typeof row.danceability === "number" && row.danceability >= 0 && row.danceability <= 1,
        `${row.song}`,
      );
      assert.ok(typeof row.tempo === "number" && row.tempo > 30, `${row.song}`);
      assert.ok(
        row.musical_key === null || (typeof row.musical_key === "number" && row.musical_key <= 11),
      );
    }
    const strict = await runCli(["produce", ...flags, "--count", "1", "--strict"]);
    assert.equal(strict.code, 4);
    assert.match(
      strict.stderr,
      /error: .*spotify-2023\.csv:\d+: track_name: invalid UTF-8 in the key/,
    );
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

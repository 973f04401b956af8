/**
 * Nothing is lost and nothing is duplicated: bad messages go to the dead-letter topic, a crash
 * mid-run is replayed to exactly one row per event, a Cassandra failure holds the offsets back
 * until the write succeeds, and two members of one group share the partitions.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { datasetByName } from "../lib/pipeline/dataset.ts";
import {
  assertAllCommitted,
  cassandraForTests,
  cleanUp,
  CliProcess,
  committedOffsets,
  distinctEvents,
  drain,
  endOffsets,
  localService,
  readTopic,
  runCliOk,
  sendRaw,
  tableRows,
  testKafka,
  uniqueName,
  waitForCount,
} from "./support/helpers.ts";
import { transactionalId } from "../lib/stream/committer.ts";

for (const name of ["movies", "songs"]) {
  const dataset = datasetByName(name);

  Deno.test(`${name}: every kind of bad message lands in the DLQ with its reason, the good ones are stored`, async () => {
    const id = uniqueName(`${name}_dlq`);
    const flags = ["--dataset", name, "--topic", id, "--keyspace", id];
    try {
      await runCliOk(["init-schema", ...flags]);
      const good = (i: number, extra: Record<string, unknown> = {}) => ({
        [dataset.personField]: `Person ${i}`,
        [dataset.itemField]: `Title ${i}`,
        time: `2024-03-01T10:0${i}:00.000Z`,
        ...(name === "movies" ? { rating: 5 } : {}),
        ...extra,
      });
      const bad: [string, Uint8Array | string | null, RegExp][] = [
        ["not json", "{oops", /not JSON/],
        ["no value", null, /no value/],
        ["not utf-8", new Uint8Array([0xff, 0xfe, 0x41]), /not UTF-8/],
        ["array", "[1,2,3]", /not an object/],
        [
          "missing person",
          JSON.stringify(good(1, { [dataset.personField]: undefined })),
          new RegExp(`'${dataset.personField}' is missing`),
        ],
        [
          "wrong type",
          JSON.stringify(good(2, { [dataset.itemField]: 12 })),
          new RegExp(`'${dataset.itemField}' must be a string`),
        ],
        [
          "bad time",
          JSON.stringify(good(3, { time: "2024-02-30T10:00:00Z" })),
          /'time' is not an ISO-8601 timestamp/,
        ],
        ...(name === "movies"
          ? [[
            "rating 11",
            JSON.stringify(good(4, { rating: 11 })),
            /'rating' must be from 1 to 10, got 11/,
          ]] as [string, string, RegExp][]
          : []),
      ];
      const goods = [good(5), good(6), good(7)].map((body) => JSON.stringify(body));
      await sendRaw(id, [
        ...bad.map(([key, value]) => ({ key, value })),
        ...goods.map((value, i) => ({ key: `good${i}`, value })),
        // A gzip-compressed value is a good event too.
        { key: "gzipped", value: gzipSync(JSON.stringify(good(8))) },
      ]);

      const run = await drain(flags, id);
      assert.match(
        run.stdout,
        new RegExp(
          `${bad.length + 4} events, 4 rows written, ${bad.length} dead-lettered, 4 unmatched`,
        ),
      );
      assert.equal(await tableRows(id, dataset.table), 4);

      const letters = await readTopic(`${id}.dlq`, bad.length);
      assert.equal(letters.length, bad.length);
      const sources = await readTopic(id, bad.length + 4);
      for (const [key, value, reason] of bad) {
        const letter = letters.find((m) => m.key?.toString() === key);
        assert.ok(letter, `dead letter for ${key}`);
        assert.match(letter.headers!["dlq.reason"]!.toString(), reason, key);
        const partition = Number(letter.headers!["dlq.source.partition"]!.toString());
        const offset = letter.headers!["dlq.source.offset"]!.toString();
        const source = sources.find((m) => m.key?.toString() === key)!;
        assert.equal(offset, source.offset, `${key}: offset points at the original`);
        assert.ok(partition >= 0 && partition < 3);
        assert.equal(letter.headers!["dlq.source.topic"]!.toString(), id);
        // The original bytes are kept as they were.
        const original = value === null
          ? null
          : typeof value === "string"
          ? value
          : new TextDecoder().decode(value);
        assert.equal(
          letter.value === null ? null : new TextDecoder().decode(letter.value),
          original,
        );
      }
      await assertAllCommitted(id, id);
    } finally {
      await cleanUp({ keyspace: id, topic: id });
    }
  });

  Deno.test(`${name}: SIGKILL mid-run, then a restart, stores every event exactly once`, async () => {
    const id = uniqueName(`${name}_crash`);
    const flags = ["--dataset", name, "--topic", id, "--keyspace", id];
    const total = 6_000;
    try {
      await runCliOk(["init-schema", ...flags]);
      await runCliOk([
        "produce",
        ...flags,
        "--count",
        String(total),
        "--rate",
        "max",
        "--seed",
        "7",
      ]);
      const distinct = await distinctEvents(id, total, name);
      assert.equal(distinct, total);

      const first = new CliProcess([
        "stream",
        ...flags,
        "--interval",
        "300ms",
        "--max-batch",
        "200",
        "--group",
        id,
        // The killed member holds its partitions until its session times out; keep that short.
        "--session-timeout",
        "6s",
      ]);
      // The first batch commits at once; the ones written after it wait to commit together
      // (--commit-interval), so the kill finds batches written but not committed.
      await first.waitFor(/batch 1:/);
      const killed = await first.stop("SIGKILL");
      assert.equal(killed.code, 137);
      const partial = await tableRows(id, dataset.table);
      assert.ok(partial > 0 && partial < total, `killed mid-run with ${partial} of ${total} rows`);

      const second = await runCliOk([
        "stream",
        ...flags,
        "--available-now",
        "--interval",
        "300ms",
        "--max-batch",
        "2000",
        "--group",
        id,
      ]);
      assert.match(second.stdout, /Stream stopped after \d+ batches/);
      assert.equal(await tableRows(id, dataset.table), total);
      await assertAllCommitted(id, id);
    } finally {
      await cleanUp({ keyspace: id, topic: id });
    }
  });
}

Deno.test("a Cassandra failure is retried and holds the offsets back until the write succeeds", async () => {
  const id = uniqueName("outage");
  const flags = ["--topic", id, "--keyspace", id];
  // Two replicas on a one-node cluster: LOCAL_QUORUM writes fail as "Unavailable", for real,
  // until the keyspace is altered back to one replica.
  await runCliOk(["init-schema", ...flags, "--keyspace-replication", "2"]);
  const stream = new CliProcess(["stream", ...flags, "--interval", "300ms", "--group", id]);
  try {
    await runCliOk(["produce", ...flags, "--count", "50", "--rate", "max", "--seed", "3"]);
    await stream.waitFor(/Writing to Cassandra failed \(attempt 2\)/);
    assert.equal(await tableRows(id, "movie_reviews"), 0);
    assert.ok(
      [...(await committedOffsets(id, id)).values()].every((offset) => offset === -1),
      "nothing committed",
    );

    const cassandra = await cassandraForTests();
    try {
      await cassandra.execute(
        `ALTER KEYSPACE ${id} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
        [],
        { prepare: false },
      );
    } finally {
      await cassandra.close();
    }
    await stream.waitFor(/batch 1: 50 events, 50 written/, 60_000);
    assert.equal(await tableRows(id, "movie_reviews"), 50);
    await assertAllCommitted(id, id);
    const stopped = await stream.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /50 rows written/);
  } finally {
    await stream.stop("SIGKILL");
    await cleanUp({ keyspace: id, topic: id });
  }
});

Deno.test("two stream processes in one group split the partitions and together store every event once", async () => {
  const id = uniqueName("group");
  const flags = ["--topic", id, "--keyspace", id];
  const total = 3_000;
  await runCliOk(["init-schema", ...flags, "--partitions", "4"]);
  const members = [0, 1].map(() =>
    new CliProcess(["stream", ...flags, "--interval", "500ms", "--group", id])
  );
  try {
    // Wait until the group has settled with both members holding partitions.
    const assignments = () => {
      const latest = members.map((m) =>
        m.stderrLines.filter((l) => /Joined group/.test(l)).at(-1) ?? ""
      );
      return latest.map((line) =>
        (line.match(/partitions ([\d, ]+) of/)?.[1] ?? "").split(", ").filter(Boolean).map(Number)
      );
    };
    const deadline = Date.now() + 60_000;
    let split: number[][] = [];
    while (Date.now() < deadline) {
      split = assignments();
      if (split.every((parts) => parts.length > 0) && split.flat().length === 4) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(split.flat().sort(), [0, 1, 2, 3], `assignments: ${JSON.stringify(split)}`);
    assert.ok(split.every((parts) => parts.length > 0));

    await runCliOk(["produce", ...flags, "--count", String(total), "--rate", "max", "--seed", "5"]);
    const wait = Date.now() + 60_000;
    while (Date.now() < wait && await tableRows(id, "movie_reviews") < total) {
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.equal(await tableRows(id, "movie_reviews"), total);
    const results = await Promise.all(members.map((m) => m.stop("SIGTERM")));
    const written = results.map((r) => Number(r.stdout.match(/(\d+) rows written/)?.[1] ?? NaN));
    assert.ok(written.every((n) => n > 0), `both members wrote rows: ${written}`);
    assert.equal(written[0] + written[1], total, "each event was written by exactly one member");
    assert.deepEqual(results.map((r) => r.code), [0, 0]);
    await assertAllCommitted(id, id);
  } finally {
    await Promise.all(members.map((m) => m.stop("SIGKILL")));
    await cleanUp({ keyspace: id, topic: id });
  }
});

Deno.test("a commit fenced while the group still assigns the partition here: taken back, every event stored once", async () => {
  const id = uniqueName("fenced");
  const flags = ["--topic", id, "--keyspace", id];
  await runCliOk(["init-schema", ...flags, "--partitions", "1"]);
  const stream = new CliProcess(["stream", ...flags, "--interval", "300ms", "--group", id]);
  try {
    await stream.waitFor(/Joined group/);
    await runCliOk(["produce", ...flags, "--count", "300", "--rate", "max", "--seed", "11"]);
    assert.equal(await waitForRows(id, "movie_reviews", 300, 30_000), 300);
    // A producer with the stream's transactional id, as a member with an out-of-date assignment
    // would open: the stream's next commit is fenced, though the group still assigns it here.
    await fenceTransactionalId(transactionalId({ group: id, topic: id }, 0));
    await sendRaw(id, [{ key: "bad", value: "{not json" }]);
    await runCliOk(["produce", ...flags, "--count", "300", "--rate", "max", "--seed", "12"]);
    const rows = await waitForRows(id, "movie_reviews", 600, 60_000);
    assert.equal(rows, 600, `stream log:\n${stream.stderrLines.join("\n")}`);
    await stream.waitFor(/the group still assigns it here; taking it back/);
    await assertAllCommitted(id, id);
    const stopped = await stream.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /600 rows written, 1 dead-lettered/);
    assert.equal((await readTopic(`${id}.dlq`, 1, 30_000, 2_000)).length, 1, "one dead letter");
  } finally {
    await stream.stop("SIGKILL");
    await cleanUp({ keyspace: id, topic: id });
  }
});

/** Opens and commits a transaction under `id`, fencing every earlier producer of it. */
async function fenceTransactionalId(id: string): Promise<void> {
  const producer = (await testKafka())
    .producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await (await producer.transaction()).commit();
  } finally {
    await producer.disconnect();
  }
}

/** The table's row count once it reaches `expected`, or the last count when time is up. */
function waitForRows(keyspace: string, table: string, expected: number, timeoutMs: number) {
  return waitForCount(() => tableRows(keyspace, table), expected, timeoutMs);
}

Deno.test({
  name: "a Kafka outage under a running stream loses no event and duplicates no row",
  // Stops the shared local broker for a few seconds; run by itself with no other test around.
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const id = uniqueName("kafka_outage");
  const flags = ["--topic", id, "--keyspace", id];
  await runCliOk(["init-schema", ...flags]);
  const stream = new CliProcess(["stream", ...flags, "--interval", "500ms", "--group", id]);
  try {
    await stream.waitFor(/Joined group/);
    await runCliOk(["produce", ...flags, "--count", "500", "--rate", "max", "--seed", "1"]);
    assert.equal(await waitForRows(id, "movie_reviews", 500, 30_000), 500);

    await localService("down", "kafka");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await localService("up", "kafka");

    await runCliOk(["produce", ...flags, "--count", "500", "--rate", "max", "--seed", "2"]);
    const rows = await waitForRows(id, "movie_reviews", 1_000, 90_000);
    assert.equal(rows, 1_000, `stream log:\n${stream.stderrLines.join("\n")}`);
    const stopped = await stream.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
    await assertAllCommitted(id, id);
    assert.equal(await tableRows(id, "movie_reviews"), 1_000);
  } finally {
    await stream.stop("SIGKILL");
    await localService("up", "kafka");
    await cleanUp({ keyspace: id, topic: id });
  }
});

Deno.test({
  name:
    "a 20 s broker outage under produce: it says it waits, then every event is in the topic once",
  // Stops the shared local broker; run by itself with no other test around.
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const id = uniqueName("produce_outage");
  const flags = ["--topic", id, "--keyspace", id];
  await runCliOk(["init-schema", ...flags]);
  const produce = new CliProcess(
    ["produce", ...flags, "--count", "30000", "--rate", "1000", "--seed", "5"],
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await localService("down", "kafka");
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    await localService("up", "kafka");
    const done = await produce.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /Sent 30000 reviews/);
    assert.match(done.stderr, /Waiting for Kafka at 127\.0\.0\.1:9092|failed \(attempt \d+\)/);
    const records = [...(await endOffsets(id)).values()].reduce((sum, end) => sum + end, 0);
    assert.equal(records, 30_000, "the topic holds each event once");
    assert.equal(await distinctEvents(id, 30_000, "movies"), 30_000);
  } finally {
    await produce.stop("SIGKILL");
    await localService("up", "kafka");
    await cleanUp({ keyspace: id, topic: id });
  }
});

Deno.test("two --available-now processes in one group both finish and store every event once", async () => {
  const id = uniqueName("drain2");
  const flags = ["--topic", id, "--keyspace", id];
  const total = 8_000;
  try {
    await runCliOk(["init-schema", ...flags, "--partitions", "4"]);
    await runCliOk([
      "produce",
      ...flags,
      "--count",
      String(total),
      "--rate",
      "max",
      "--seed",
      "4",
      "--people",
      "40",
    ]);
    const args = [
      "stream",
      ...flags,
      "--available-now",
      "--interval",
      "200ms",
      "--max-batch",
      "300",
      "--group",
      id,
    ];
    const first = new CliProcess(args);
    await first.waitFor(/batch 2:/);
    // The second member joins mid-run; when the first one finishes and leaves, the survivor
    // inherits partitions whose committed offsets moved after it started.
    const second = new CliProcess(args);
    const timeout = setTimeout(() => {
      for (const member of [first, second]) member.stop("SIGKILL");
    }, 90_000);
    const results = await Promise.all([first.finished(), second.finished()]);
    clearTimeout(timeout);
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 0],
      results.map((r) => r.stderr).join("\n---\n"),
    );
    assert.equal(await tableRows(id, "movie_reviews"), total);
    await assertAllCommitted(id, id);
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

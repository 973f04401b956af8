/**
 * The stream engine against real Kafka and Cassandra, under what broke earlier versions: a burst
 * of dead letters larger than one request, letters larger than the DLQ topic allows, repeated
 * SIGKILLs under a running producer, and `--available-now` while a dead member still holds the
 * partitions.
 */
import assert from "node:assert/strict";
import type { KafkaMessage } from "../lib/kafka/kafkajs.ts";
import {
  assertAllCommitted,
  cleanUp,
  CliProcess,
  distinctEvents,
  drain,
  endOffsets,
  readTopic,
  runCli,
  runCliOk,
  sendRaw,
  tableRows,
  uniqueName,
} from "./support/helpers.ts";

/** Kafka's default max.message.bytes, which the test topics keep. */
const MAX_MESSAGE_BYTES = 1_048_588;

const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();
/** "partition:offset" of each dead letter's source message. */
const sources = (letters: KafkaMessage[]) =>
  letters.map((l) => `${header(l, "dlq.source.partition")}:${header(l, "dlq.source.offset")}`);
const randomBytes = (size: number) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  return bytes;
};

Deno.test("a burst of 10,000 bad messages, one near the limit and one over it once headers are added, never blocks the stream", async () => {
  const id = uniqueName("burst");
  const flags = ["--topic", id, "--keyspace", id];
  try {
    await runCliOk(["init-schema", ...flags]);
    const padding = "x".repeat(900);
    const burst = Array.from({ length: 10_000 }, (_, i) => ({
      key: `bad-${i}`,
      value: JSON.stringify({ reviewer: `r${i}`, movie: "Heat", time: "noon", pad: padding }),
    }));
    for (let i = 0; i < burst.length; i += 2_500) await sendRaw(id, burst.slice(i, i + 2_500));
    // Uncompressed, so they are as large on the broker as they look; the second one fits the
    // source topic but not the DLQ topic once the dead letter's headers are added.
    await sendRaw(id, [{ key: "near", value: randomBytes(1_000_000) }], "none");
    await sendRaw(id, [{ key: "over", value: randomBytes(MAX_MESSAGE_BYTES - 200) }], "none");
    await runCliOk(["produce", ...flags, "--count", "500", "--rate", "max", "--seed", "11"]);
    const good = await distinctEvents(id, 10_502, "movies");
    assert.ok(good > 450, `${good} distinct good events`);

    const run = await drain(flags, id);
    assert.match(run.stdout, /10002 dead-lettered/);
    assert.equal(await tableRows(id, "movie_reviews"), good);
    await assertAllCommitted(id, id);

    const letters = await readTopic(`${id}.dlq`, 10_002, 60_000, 3_000);
    assert.equal(letters.length, 10_002, "every bad message once, no repeats");
    assert.equal(new Set(sources(letters)).size, 10_002);
    const byKey = new Map(letters.map((l) => [l.key?.toString(), l]));
    assert.equal(header(byKey.get("near")!, "dlq.truncated"), undefined);
    assert.equal(byKey.get("near")!.value!.length, 1_000_000);
    const over = byKey.get("over")!;
    assert.equal(header(over, "dlq.truncated"), "true");
    assert.equal(header(over, "dlq.original.bytes"), String(MAX_MESSAGE_BYTES - 200));
    assert.match(header(over, "dlq.reason")!, /not UTF-8|not JSON/);
    assert.ok(over.value!.length < MAX_MESSAGE_BYTES - 200);
    assert.match(header(byKey.get("bad-7")!, "dlq.reason")!, /field 'time'/);
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

Deno.test("ten SIGKILLs at random moments under a running producer: every event once, every dead letter once, offsets at the end", async () => {
  const id = uniqueName("kills");
  const flags = ["--topic", id, "--keyspace", id];
  const total = 12_000;
  const badTotal = 300;
  const streamArgs = [
    "stream",
    ...flags,
    "--interval",
    "200ms",
    "--max-batch",
    "500",
    "--group",
    id,
    "--session-timeout",
    "6s",
  ];
  try {
    await runCliOk(["init-schema", ...flags]);
    const producer = new CliProcess([
      "produce",
      ...flags,
      "--count",
      String(total),
      "--rate",
      "400",
      "--seed",
      "5",
    ]);
    let badSent = 0;
    let kills = 0;
    while (kills < 10) {
      const stream = new CliProcess(streamArgs);
      // Half the kills come mid-batch, the others at any moment, joining and claiming included.
      if (kills % 2 === 0) await stream.waitFor(/batch \d+:|Joined group/, 60_000);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 2_500));
      if (badSent < badTotal) {
        await sendRaw(
          id,
          Array.from({ length: 50 }, (_, i) => ({ key: `bad-${badSent + i}`, value: "{oops" })),
        );
        badSent += 50;
      }
      const killed = await stream.stop("SIGKILL");
      assert.equal(killed.code, 137, killed.stderr);
      kills++;
    }
    const produced = await producer.finished();
    assert.equal(produced.code, 0, produced.stderr);
    assert.equal(badSent, badTotal);
    const good = await distinctEvents(id, total + badTotal, "movies");

    await drain(flags, id);
    assert.equal(await tableRows(id, "movie_reviews"), good);
    await assertAllCommitted(id, id);
    const letters = await readTopic(`${id}.dlq`, badTotal, 30_000, 3_000);
    assert.equal(letters.length, badTotal, "no dead letter repeated");
    assert.equal(new Set(sources(letters)).size, badTotal);
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

/** A topic with a backlog and a member that joined, took every partition and was killed. */
async function backlogHeldByDeadMember(id: string, flags: string[], sessionTimeout: string) {
  await runCliOk(["init-schema", ...flags]);
  await runCliOk(["produce", ...flags, "--count", "3000", "--rate", "max", "--seed", "9"]);
  const holder = new CliProcess([
    "stream",
    ...flags,
    "--interval",
    "1h",
    "--group",
    id,
    "--session-timeout",
    sessionTimeout,
  ]);
  await holder.waitFor(/Joined group .*: partitions 0, 1, 2/);
  await holder.stop("SIGKILL");
}

Deno.test("available-now started while a killed member holds the partitions waits for them, then drains", async () => {
  const id = uniqueName("heldnow");
  const flags = ["--topic", id, "--keyspace", id];
  try {
    await backlogHeldByDeadMember(id, flags, "8s");
    const run = await drain(flags, id);
    assert.match(run.stdout, /Stream stopped after [1-9]\d* batches: 3000 events/);
    assert.equal(await tableRows(id, "movie_reviews"), await distinctEvents(id, 3000, "movies"));
    await assertAllCommitted(id, id);
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

Deno.test("available-now that cannot drain in time exits non-zero naming each partition and its lag", async () => {
  const id = uniqueName("heldtimeout");
  const flags = ["--topic", id, "--keyspace", id];
  try {
    await backlogHeldByDeadMember(id, flags, "45s");
    const ends = await endOffsets(id);
    const run = await runCli([
      "stream",
      ...flags,
      "--available-now",
      "--available-now-timeout",
      "4s",
      "--group",
      id,
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.doesNotMatch(run.stdout, /Stream stopped/);
    for (const [partition, end] of ends) {
      assert.match(run.stderr, new RegExp(`partition ${partition} at 0 of ${end} \\(lag ${end}`));
    }
    assert.match(run.stderr, /not drained within 4s/);
    assert.equal(await tableRows(id, "movie_reviews"), 0);
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

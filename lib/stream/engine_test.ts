import assert from "node:assert/strict";
import { datasetByName } from "../pipeline/dataset.ts";
import { MemoryLogger } from "../core/log.ts";
import { manualStopper } from "../core/signals.ts";
import { transformBatch } from "./batch.ts";
import { MicroBatchBuffer } from "./buffer.ts";
import { StreamEngine } from "./engine.ts";
import type { BatchReport } from "./progress.ts";
import { MemoryCommitter, MemoryStore, miniCatalog, sourceMessage } from "./fakes.ts";
import { PartitionLedger } from "./ledger.ts";

const movies = datasetByName("movies");
const catalog = miniCatalog();
const SOURCE = { topic: "reviews", group: "g" };
const review = (i: number) =>
  JSON.stringify({
    reviewer: `person ${i % 7}`,
    movie: "Heat",
    time: new Date(Date.UTC(2024, 2, 1, 10, 0, i)).toISOString(),
    rating: 1 + (i % 10),
  });

/** A topic of `partitions` partitions holding `perPartition` messages each; every 10th is bad. */
function setUp(
  {
    partitions = 3,
    perPartition = 50,
    maxBatch = 40,
    commitIntervalMs = 0,
    timeoutMs = 5_000,
    availableNow = true,
    /** The buffer's bound, in batches (the stream's own buffer holds one). */
    bufferBatches = 2,
    rewind = (_partition: number, _offset: number) => {},
    /** Which messages (by their number across the topic) are not JSON. */
    bad = (i: number) => i % 10 === 9,
  } = {},
) {
  const ends = new Map(Array.from({ length: partitions }, (_, p) => [p, perPartition]));
  const ledger = new PartitionLedger(new Map([...ends.keys()].map((p) => [p, 0])), ends);
  const buffer = new MicroBatchBuffer(maxBatch * bufferBatches, Infinity);
  const committer = new MemoryCommitter();
  const store = new MemoryStore(4, (row) => row[3] === "poison" ? "Invalid value" : undefined);
  const logger = new MemoryLogger();
  const stopper = manualStopper();
  const fill = () => {
    for (const p of ledger.owned) {
      for (let offset = ledger.position(p); offset < perPartition; offset++) {
        if (buffer.full) return;
        const i = p * perPartition + offset;
        buffer.append(sourceMessage(p, offset, bad(i) ? "{bad" : review(i)));
      }
    }
  };
  const engine = new StreamEngine({
    intervalMs: 20,
    availableNow,
    availableNowTimeoutMs: timeoutMs,
    maxBatch,
    commitIntervalMs,
    writer: { maxRows: 100, maxBytes: 5_120, concurrency: 4 },
    keyColumns: 2,
    deadLetterSource: SOURCE,
  }, {
    buffer,
    ledger,
    committer,
    store,
    transform: (messages) => transformBatch(messages, movies, catalog, SOURCE),
    logger,
    stopper,
    onBatch: fill,
    // The source reads the partition again: here, the test's topic refills the buffer.
    rewindSource: (partition, offset) => {
      rewind(partition, offset);
      queueMicrotask(fill);
    },
  });
  /** Assigns the partitions, fills the buffer from them, and takes them over. */
  const assignAndClaim = async (partitions: number[]) => {
    ledger.assign(partitions);
    fill();
    await engine.claim();
  };
  return { ledger, buffer, committer, store, logger, stopper, engine, fill, assignAndClaim };
}

Deno.test("available-now drains every partition: rows once, dead letters once, offsets at the end", async () => {
  const { committer, store, engine, assignAndClaim } = setUp();
  await assignAndClaim([0, 1, 2]);
  const totals = await engine.run();
  assert.equal(totals.events, 150);
  assert.equal(totals.deadLettered, 15);
  assert.equal(totals.written, 135);
  assert.equal(store.rows.size, 135);
  assert.equal(committer.deadLetters.length, 15);
  assert.deepEqual([...committer.offsets].sort(), [[0, 50], [1, 50], [2, 50]]);
  assert.ok(totals.batches >= 4, `batches of at most 40: ${totals.batches}`);
});

Deno.test("nothing is batched from a partition before it is claimed", async () => {
  const { ledger, buffer, engine, fill } = setUp();
  ledger.assign([0, 1, 2]);
  fill();
  assert.equal(await engine.runBatch(), false);
  assert.ok(buffer.size > 0);
});

Deno.test("a failed commit is retried without sending its dead letters twice", async () => {
  const { committer, engine, logger, assignAndClaim } = setUp({ partitions: 1, perPartition: 20 });
  committer.failNext = 2;
  await assignAndClaim([0]);
  await engine.run();
  assert.equal(committer.deadLetters.length, 2);
  assert.equal(committer.offsets.get(0), 20);
  assert.ok(
    logger.lines.some((line) => /Committing partition 0 .* failed \(attempt 1\)/.test(line)),
  );
});

Deno.test("a retriable write failure holds the commit back until the rows are in", async () => {
  const { committer, store, engine, assignAndClaim } = setUp({ partitions: 1, perPartition: 10 });
  store.failNext = 1;
  await assignAndClaim([0]);
  await engine.run();
  assert.equal(store.rows.size, 9);
  assert.equal(committer.offsets.get(0), 10);
});

Deno.test("a row the store rejects for good goes to the dead letters with the store's reason", async () => {
  const { ledger, buffer, committer, engine } = setUp({ partitions: 1, perPartition: 2 });
  ledger.assign([0]);
  buffer.append(sourceMessage(0, 0, review(0)));
  buffer.append(
    sourceMessage(0, 1, JSON.stringify({ ...JSON.parse(review(1)), movie: "poison" })),
  );
  await engine.claim();
  await engine.run();
  assert.equal(committer.deadLetters.length, 1);
  assert.match(
    committer.deadLetters[0].headers["dlq.reason"],
    /Cassandra rejected the row: Invalid value/,
  );
  assert.equal(committer.offsets.get(0), 2);
});

Deno.test("a partition the group gave to another member mid-batch is dropped here; the others still commit", async () => {
  const { ledger, buffer, committer, engine, logger, assignAndClaim } = setUp({ partitions: 2 });
  await assignAndClaim([0, 1]);
  committer.lost.add(1);
  const commit = committer.commit.bind(committer);
  committer.commit = (partition, next, letters) => {
    if (partition === 1) ledger.assign([0]); // the rebalance lands while the batch commits
    return commit(partition, next, letters);
  };
  await engine.runBatch();
  assert.deepEqual(ledger.owned, [0]);
  assert.equal(buffer.waiting(1), 0);
  assert.equal(committer.offsets.get(1), undefined);
  assert.equal(committer.retakes, 0);
  assert.ok(logger.lines.some((line) => /Partition 1 was taken over.*processed there/.test(line)));
});

Deno.test("a commit fenced while the group still assigns the partition here takes it back and reads it again", async () => {
  const rewinds: [number, number][] = [];
  const { committer, store, engine, logger, assignAndClaim } = setUp({
    partitions: 2,
    rewind: (partition, offset) => rewinds.push([partition, offset]),
  });
  await assignAndClaim([0, 1]);
  committer.lost.add(1);
  const totals = await engine.run();
  assert.deepEqual(rewinds, [[1, 0]], "read again from the committed offset");
  assert.equal(committer.retakes, 1);
  assert.deepEqual([...committer.offsets].sort(), [[0, 50], [1, 50]]);
  assert.equal(store.rows.size, 90);
  assert.equal(committer.deadLetters.length, 10, "no dead letter committed twice");
  assert.equal(totals.events, 100, "the fenced batch's events counted once, when committed");
  assert.ok(logger.lines.some((line) => /still assigns it here; taking it back/.test(line)));
});

Deno.test("available-now with no partitions waits for the group, then ends when others drained it", async () => {
  const { ledger, committer, engine, logger } = setUp({ partitions: 2, perPartition: 5 });
  ledger.assign([]);
  const running = engine.run();
  // Another member commits everything a moment later.
  setTimeout(() => {
    committer.offsets.set(0, 5);
    committer.offsets.set(1, 5);
  }, 300);
  const totals = await running;
  assert.equal(totals.batches, 0);
  assert.equal(ledger.drained, true);
  assert.ok(!logger.lines.some((line) => /Stream stopped/.test(line)));
});

Deno.test("available-now that cannot drain in time fails, naming each partition and its lag", async () => {
  const { ledger, engine } = setUp({ partitions: 2, perPartition: 5, timeoutMs: 200 });
  ledger.assign([]);
  await assert.rejects(
    engine.run(),
    /not drained within 200ms: partition 0 at 0 of 5 \(lag 5, held elsewhere\), partition 1 at 0 of 5/,
  );
});

Deno.test("a stop request finishes the batch in hand and returns", async () => {
  const { engine, stopper, committer, assignAndClaim } = setUp({ availableNow: false });
  await assignAndClaim([0, 1, 2]);
  const running = engine.run();
  setTimeout(() => stopper.stop(), 100);
  const totals = await running;
  assert.equal(
    totals.events,
    [...committer.offsets.values()].reduce((sum, offset) => sum + offset, 0),
    "every event counted was committed",
  );
});

Deno.test("the next batch is written while the previous one commits; commits stay in order", async () => {
  const { committer, store, engine, assignAndClaim } = setUp({ partitions: 1, perPartition: 120 });
  const events: string[] = [];
  const commit = committer.commit.bind(committer);
  committer.commit = async (partition, next, letters) => {
    events.push(`commit ${next} starts`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await commit(partition, next, letters);
    events.push(`commit ${next} ends, ${store.rows.size} rows stored`);
  };
  await assignAndClaim([0]);
  const totals = await engine.run();
  assert.equal(totals.events, 120);
  assert.equal(committer.offsets.get(0), 120);
  assert.deepEqual(events, [
    "commit 40 starts",
    "commit 40 ends, 72 rows stored", // the second batch went in meanwhile
    "commit 80 starts",
    "commit 80 ends, 108 rows stored",
    "commit 120 starts",
    "commit 120 ends, 108 rows stored",
  ]);
});

Deno.test("the next full batch is taken and transformed while the previous one is written", async () => {
  const { store, engine, committer, assignAndClaim } = setUp({
    partitions: 1,
    perPartition: 6_000,
    maxBatch: 2_500,
  });
  // Each write takes a turn of the event loop; the transforms note the writes in flight.
  const write = store.writeGroup.bind(store);
  let writing = 0;
  store.writeGroup = async (rows) => {
    writing++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    await write(rows);
    writing--;
  };
  const transform = engine.deps.transform;
  const seen: { messages: number; writesInFlight: number }[] = [];
  engine.deps.transform = (messages) => {
    seen.push({ messages: messages.length, writesInFlight: writing });
    return transform(messages);
  };
  await assignAndClaim([0]);
  const totals = await engine.run();
  assert.equal(totals.events, 6_000);
  assert.equal(committer.offsets.get(0), 6_000);
  assert.equal(store.rows.size, 6_000 - 600, "each valid event stored once");
  // Batch 1 whole; batch 2 in chunks of 1,000 while batch 1 is written; batch 3 (1,000, not a
  // full batch) once batch 2 is in.
  assert.deepEqual(seen.map((s) => s.messages), [2_500, 1_000, 1_000, 500, 1_000]);
  assert.equal(seen[0].writesInFlight, 0);
  assert.ok(seen.slice(1, 4).every((s) => s.writesInFlight > 0), JSON.stringify(seen));
});

Deno.test("a full batch fetched while the previous one is written is prepared before that write ends", async () => {
  // As in the stream: the buffer holds one batch, and the source refills it once it is taken.
  const { store, engine, committer, fill, assignAndClaim } = setUp({
    partitions: 1,
    perPartition: 6_000,
    maxBatch: 2_500,
    bufferBatches: 1,
  });
  const write = store.writeGroup.bind(store);
  let writing = 0;
  store.writeGroup = async (rows) => {
    writing++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    fill();
    await write(rows);
    writing--;
  };
  const transform = engine.deps.transform;
  const seen: { messages: number; writesInFlight: number }[] = [];
  engine.deps.transform = (messages) => {
    seen.push({ messages: messages.length, writesInFlight: writing });
    return transform(messages);
  };
  await assignAndClaim([0]);
  const totals = await engine.run();
  assert.equal(totals.events, 6_000);
  assert.equal(committer.offsets.get(0), 6_000);
  assert.equal(store.rows.size, 6_000 - 600, "each valid event stored once");
  // When batch 1's write began the buffer was empty; batch 2 filled it during that write and was
  // transformed in chunks before the write ended. Batch 3 (1,000) never filled it.
  assert.deepEqual(seen.map((s) => s.messages), [2_500, 1_000, 1_000, 500, 1_000]);
  assert.ok(seen.slice(1, 4).every((s) => s.writesInFlight > 0), JSON.stringify(seen));
});

/**
 * A backlog of 10,000 messages in batches of 2,500, each write taking turns of the event loop so
 * the next batch is prepared meanwhile; the commits and the batch reports, in order.
 */
async function backToBack(
  options: { commitIntervalMs: number; bad?: (i: number) => boolean; stopAt?: number },
) {
  const parts = setUp({ partitions: 1, perPartition: 10_000, maxBatch: 2_500, ...options });
  const { store, engine, committer, stopper, assignAndClaim } = parts;
  const write = store.writeGroup.bind(store);
  store.writeGroup = async (rows) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await write(rows);
  };
  const commits: { next: number; letters: number }[] = [];
  const commit = committer.commit.bind(committer);
  committer.commit = (partition, next, letters) => {
    commits.push({ next, letters: letters.length });
    return commit(partition, next, letters);
  };
  const reports: BatchReport[] = [];
  const fill = engine.deps.onBatch!;
  engine.deps.onBatch = (report) => {
    reports.push(report);
    if (options.stopAt !== undefined && reports.length === options.stopAt) stopper.stop();
    fill(report);
  };
  await assignAndClaim([0]);
  const totals = await engine.run();
  return { ...parts, totals, commits, reports };
}

/** Each report's partition-0 range, in report order. */
const ranges = (reports: readonly BatchReport[]) =>
  reports.map((r) => r.partitions.map((p) => [p.start, p.end])[0]);

Deno.test("batches run back to back commit once per commit interval, and every offset by the end", async () => {
  const { totals, commits, reports, committer, store } = await backToBack({
    commitIntervalMs: 60_000,
    bad: () => false,
  });
  assert.equal(totals.events, 10_000);
  assert.equal(store.rows.size, 10_000);
  assert.equal(committer.offsets.get(0), 10_000);
  // Batch 1 commits at once; 2 and 3 each had the next prepared, so they wait for batch 4's.
  assert.deepEqual(commits, [{ next: 2_500, letters: 0 }, { next: 10_000, letters: 0 }]);
  assert.deepEqual(reports.map((r) => r.id), [1, 2, 3, 4]);
  assert.deepEqual(ranges(reports), [[0, 2_500], [2_500, 5_000], [5_000, 7_500], [7_500, 10_000]]);
  assert.ok(reports.every((r) => r.events === 2_500 && r.written === 2_500));
});

Deno.test("a commit interval of 1 ms commits every batch", async () => {
  const { commits } = await backToBack({ commitIntervalMs: 1, bad: () => false });
  // A batch is written in more than a millisecond here (each write waits one).
  assert.deepEqual(commits.map((c) => c.next), [2_500, 5_000, 7_500, 10_000]);
});

Deno.test("a batch with dead letters commits at once, with the offsets of the batches before it", async () => {
  const { totals, commits, committer, reports } = await backToBack({
    commitIntervalMs: 60_000,
    bad: (i) => i === 6_000,
  });
  assert.deepEqual(commits, [
    { next: 2_500, letters: 0 },
    { next: 7_500, letters: 1 },
    { next: 10_000, letters: 0 },
  ]);
  assert.equal(committer.deadLetters.length, 1);
  assert.equal(totals.deadLettered, 1);
  assert.deepEqual(reports.map((r) => r.deadLettered), [0, 0, 1, 0]);
  assert.equal(committer.offsets.get(0), 10_000);
});

Deno.test("stopping commits every batch written, waiting or not", async () => {
  const { totals, committer, reports } = await backToBack({
    commitIntervalMs: 60_000,
    bad: () => false,
    stopAt: 1,
  });
  assert.equal(committer.offsets.get(0), totals.events);
  assert.equal(totals.events, reports.reduce((sum, r) => sum + r.events, 0));
  assert.ok(totals.events >= 5_000, `the batch in hand and the one prepared: ${totals.events}`);
});

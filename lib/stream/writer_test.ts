import assert from "node:assert/strict";
import { PermanentFailure } from "../core/retry.ts";
import type { PendingRow } from "./batch.ts";
import { MemoryStore, sourceMessage } from "./fakes.ts";
import { groupRows, rowBytes, WriteJob } from "./writer.ts";

/** A row of person, hour, time, item and a rating; offsets number them. */
const row = (person: string, hour: string, offset: number, item = "Heat"): PendingRow => {
  const values = [person, hour, offset * 1000, item, 7];
  return {
    values,
    bytes: rowBytes(values),
    source: sourceMessage(0, offset, ""),
  };
};
const rows = (count: number, people: number, hours = 1) =>
  Array.from({ length: count }, (_, i) => row(`p${i % people}`, `h${i % hours}`, i));
const LIMITS = { maxRows: 100, maxBytes: 5_120, concurrency: 8 };
const keyOf = (r: PendingRow) => JSON.stringify(r.values.slice(0, 2));

Deno.test("rows are grouped by partition key, one partition per batch", () => {
  const batches = groupRows(rows(60, 3, 2), 2, LIMITS);
  assert.equal(batches.length, 6, "3 people x 2 hours");
  for (const batch of batches) assert.equal(new Set(batch.map(keyOf)).size, 1);
  assert.equal(batches.flat().length, 60);
});

Deno.test("partition keys are told apart value by value, whatever characters they hold", () => {
  const batches = groupRows([row("a\u0000b", "c", 0), row("a", "b\u0000c", 1)], 2, LIMITS);
  assert.equal(batches.length, 2);
});

Deno.test("a batch holds at most maxRows rows", () => {
  const batches = groupRows(rows(250, 1), 2, { ...LIMITS, maxRows: 100, maxBytes: Infinity });
  assert.deepEqual(batches.map((b) => b.length), [100, 100, 50]);
});

Deno.test("a batch stays under maxBytes; a row larger than that goes alone", () => {
  const one = rowBytes(row("p0", "h0", 0).values);
  const batches = groupRows(rows(10, 1), 2, { ...LIMITS, maxBytes: one * 3 });
  assert.deepEqual(batches.map((b) => b.length), [3, 3, 3, 1]);
  for (const batch of batches) {
    assert.ok(batch.reduce((sum, r) => sum + rowBytes(r.values), 0) <= one * 3);
  }
  const big = row("p0", "h0", 99, "x".repeat(10_000));
  assert.deepEqual(groupRows([big, row("p0", "h0", 1)], 2, LIMITS).map((b) => b.length), [1, 1]);
});

Deno.test("rowBytes counts UTF-8 bytes of text and a fixed size for other values", () => {
  assert.equal(rowBytes(["é"]), 12 + 2);
  assert.equal(rowBytes([1, null]), 12 + 8 + 12);
  assert.equal(rowBytes(["é", 1, "abc", null], 1, 3), 12 + 8 + 12 + 3, "values 1 and 2");
});

Deno.test("a write job writes every row once, with bounded requests in flight", async () => {
  const store = new MemoryStore(4);
  const job = new WriteJob(store, rows(500, 20), 2, { ...LIMITS, concurrency: 3 });
  await job.run();
  assert.equal(store.rows.size, 500);
  assert.equal(store.requests.length, 20, "one request per person (25 rows each)");
  assert.ok(store.maxInFlight <= 3, `${store.maxInFlight} in flight`);
  assert.equal(job.remaining, 0);
});

Deno.test("after a retriable failure, run() again writes only what was not written", async () => {
  const store = new MemoryStore(4);
  store.failNext = 1;
  const job = new WriteJob(store, rows(100, 10), 2, { ...LIMITS, concurrency: 1 });
  await assert.rejects(job.run(), /Cannot achieve consistency/);
  assert.equal(job.remaining, 10);
  await job.run();
  assert.equal(store.rows.size, 100);
  assert.equal(store.requests.length, 10, "no batch written twice");
});

Deno.test("a row Cassandra refuses for good is set aside with the reason; its batch-mates are written", async () => {
  const store = new MemoryStore(4, (r) => r[3] === "poison" ? "Invalid unset value" : undefined);
  const poison = row("p0", "h0", 5, "poison");
  const job = new WriteJob(store, [...rows(5, 1), poison], 2, LIMITS);
  await job.run();
  assert.equal(store.rows.size, 5);
  assert.equal(job.rejected.length, 1);
  assert.equal(job.rejected[0].row, poison);
  assert.match(job.rejected[0].reason, /^Cassandra rejected the row: Invalid unset value/);
});

Deno.test("a failure that is no row's fault ends the job as permanent", async () => {
  const store = new MemoryStore(4);
  store.writeGroup = () =>
    Promise.reject(
      Object.assign(new Error("unconfigured table movie_reviews"), { code: 0x2200 }),
    );
  const job = new WriteJob(store, rows(3, 1), 2, LIMITS);
  const failure = await job.run().catch((error: Error) => error);
  assert.ok(failure instanceof PermanentFailure);
  assert.match(failure.message, /retrying cannot fix it: unconfigured table/);
  assert.equal(job.rejected.length, 0);
});

/** `stream --progress json` on real services: every line parses and the batches add up. */
import assert from "node:assert/strict";
import {
  cleanUp,
  drain,
  endOffsets,
  runCliOk,
  sendRaw,
  tableRows,
  uniqueName,
} from "./support/helpers.ts";

const EVENTS = 1_200;
const BAD = 7;

Deno.test("stream --progress json: one parsable object per batch, adding up to the run's totals", async () => {
  const id = uniqueName("progress");
  const flags = ["--topic", id, "--keyspace", id];
  try {
    await runCliOk(["init-schema", ...flags]);
    await runCliOk([
      "produce",
      ...flags,
      ...["--count", String(EVENTS), "--rate", "max", "--seed", "7", "--people", "30"],
    ]);
    await sendRaw(id, Array.from({ length: BAD }, (_, i) => ({ key: `k${i}`, value: "{oops" })));
    const run = await drain(flags, id, "--progress", "json", "--max-batch", "250");

    const lines = run.stdout.trim().split("\n");
    const batches = lines.map((line) => JSON.parse(line));
    assert.ok(batches.length >= Math.ceil((EVENTS + BAD) / 250), `${batches.length} batches`);
    const sum = (pick: (b: Record<string, unknown>) => number) =>
      batches.reduce((total, b) => total + pick(b), 0);
    assert.equal(sum((b) => b.numInputRows as number), EVENTS + BAD);
    assert.equal(sum((b) => (b.sink as { numOutputRows: number }).numOutputRows), EVENTS);
    assert.equal(sum((b) => b.deadLettered as number), BAD);
    assert.equal(await tableRows(id, "movie_reviews"), EVENTS);
    assert.deepEqual(batches.map((b) => b.batchId), batches.map((_, i) => i + 1));

    for (const batch of batches) {
      assert.ok(!Number.isNaN(Date.parse(batch.timestamp)), batch.timestamp);
      assert.ok(batch.processedRowsPerSecond > 0);
      for (const phase of ["fetchWait", "transform", "write", "commit", "triggerExecution"]) {
        assert.equal(typeof batch.durationMs[phase], "number", phase);
      }
      const [source] = batch.sources;
      for (const [partition, start] of Object.entries(source.startOffset[id])) {
        assert.ok((start as number) < source.endOffset[id][partition]);
        assert.ok(source.endOffset[id][partition] <= source.latestOffset[id][partition]);
      }
      if (batch.sink.numOutputRows > 0) {
        assert.ok(batch.latencyMs.p50 <= batch.latencyMs.p99);
        assert.ok(batch.latencyMs.p99 <= batch.latencyMs.max);
      }
    }
    // The last end offset of each partition is its end: everything was read and committed.
    const lastEnd = new Map<number, number>();
    for (const batch of batches) {
      for (const [p, end] of Object.entries(batch.sources[0].endOffset[id])) {
        lastEnd.set(Number(p), end as number);
      }
    }
    const ends = await endOffsets(id);
    for (const [partition, end] of ends) {
      if (end > 0) assert.equal(lastEnd.get(partition), end, `partition ${partition}`);
    }
    // The summary goes to stderr, so stdout holds JSON alone.
    assert.match(run.stderr, new RegExp(`Stream stopped after ${batches.length} batches`));
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

import assert from "node:assert/strict";
import { CachedCheck, produceReadiness, streamReadiness } from "./readiness.ts";

const state = {
  topic: "t",
  group: "g",
  joined: true,
  owned: [0, 2],
  cassandraHosts: ["10.0.0.1:9042"],
};

Deno.test("a stream member is ready in its group with Cassandra answering, and says why not otherwise", () => {
  assert.deepEqual(streamReadiness(state, { ok: true }), {
    ready: true,
    reason: "holding partitions 0, 2 of t; Cassandra answers",
  });
  const none = streamReadiness({ ...state, owned: [] }, { ok: true });
  assert.equal(none.ready, true);
  assert.match(none.reason, /no partition of t/);
  assert.deepEqual(streamReadiness({ ...state, joined: false }, { ok: true }), {
    ready: false,
    reason: "joining consumer group g",
  });
  assert.deepEqual(streamReadiness(state, { ok: false, reason: "no host" }), {
    ready: false,
    reason: "Cassandra at 10.0.0.1:9042 does not answer: no host",
  });
  const failed = streamReadiness({ ...state, failure: "fenced" }, { ok: true });
  assert.deepEqual(failed, { ready: false, reason: "the Kafka consumer stopped: fenced" });
});

Deno.test("a producer is ready unless its sends are failing", () => {
  assert.equal(produceReadiness("t", undefined).ready, true);
  assert.deepEqual(produceReadiness("t", "broker down"), {
    ready: false,
    reason: "sends to t are failing and being retried: broker down",
  });
});

Deno.test("CachedCheck runs the check at most once per period and shares the result", async () => {
  let now = 0;
  let runs = 0;
  let fail = false;
  const check = new CachedCheck(
    () => {
      runs++;
      return fail ? Promise.reject(new Error("down")) : Promise.resolve();
    },
    (error) => (error as Error).message,
    1_000,
    () => now,
  );
  assert.deepEqual(await check.result(), { ok: true });
  fail = true;
  now = 999;
  assert.deepEqual(await check.result(), { ok: true });
  assert.equal(runs, 1);
  now = 1_000;
  assert.deepEqual(await check.result(), { ok: false, reason: "down" });
  assert.equal(runs, 2);
});

import assert from "node:assert/strict";
import { isFenced, pastConcurrentTransaction, transactionalId } from "./committer.ts";

const kafkaError = (type: string) => Object.assign(new Error(type), { type, retriable: true });

Deno.test("a step refused with CONCURRENT_TRANSACTIONS runs again until the coordinator is done", async () => {
  let calls = 0;
  const result = await pastConcurrentTransaction(() => {
    calls++;
    return calls < 3 ? Promise.reject(kafkaError("CONCURRENT_TRANSACTIONS")) : Promise.resolve(7);
  }, [1, 1, 1]);
  assert.equal(result, 7);
  assert.equal(calls, 3);
});

Deno.test("CONCURRENT_TRANSACTIONS past the waits, or any other error, reaches the caller", async () => {
  let calls = 0;
  await assert.rejects(
    pastConcurrentTransaction(() => {
      calls++;
      return Promise.reject(kafkaError("CONCURRENT_TRANSACTIONS"));
    }, [1, 1]),
    /CONCURRENT_TRANSACTIONS/,
  );
  assert.equal(calls, 3, "once per wait, and once more");
  calls = 0;
  await assert.rejects(
    pastConcurrentTransaction(() => {
      calls++;
      return Promise.reject(kafkaError("PRODUCER_FENCED"));
    }, [1, 1]),
    /PRODUCER_FENCED/,
  );
  assert.equal(calls, 1);
});

Deno.test("a fence is recognised however deep kafkajs wraps it", () => {
  const wrapped = new Error("commit failed", {
    cause: new Error("retries exhausted", { cause: kafkaError("INVALID_PRODUCER_EPOCH") }),
  });
  assert.equal(isFenced(wrapped), true);
  assert.equal(isFenced(kafkaError("CONCURRENT_TRANSACTIONS")), false);
});

Deno.test("each source partition of a group's stream has its own transactional id", () => {
  assert.equal(transactionalId({ group: "g", topic: "reviews" }, 3), "reviews.g.reviews.3");
});

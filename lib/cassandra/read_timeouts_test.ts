import assert from "node:assert/strict";
import { withStockDriver } from "./driver_patches.ts";
import { readTimeouts } from "./read_timeouts.ts";
// @ts-types="./driver_operation_state.d.ts"
import OperationState from "cassandra-driver/lib/operation-state.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ADDRESS = "127.0.0.1:9042";

/** What happened to one request: its callback's calls, and the connection's counters. */
interface Story {
  calls: { error?: string; name?: string; result?: unknown }[];
  timedOut: number;
  lateAnswers: number;
}

/**
 * Sends one request with `readTimeout` (and the options' own timeout, if any), then does `then`
 * to it; returns what happened, with the driver as published or patched.
 */
async function story(
  { readTimeout = 30, ownTimeout, then }: {
    readTimeout?: number;
    ownTimeout?: number;
    then: (operation: OperationState) => Promise<void>;
  },
): Promise<Story> {
  const told: Story = { calls: [], timedOut: 0, lateAnswers: 0 };
  const operation = new OperationState({}, null, (error: unknown, result: unknown) => {
    const failure = error as Error | null;
    told.calls.push(
      failure ? { error: failure.message, name: failure.constructor.name } : { result },
    );
  });
  operation.setRequestTimeout(
    { getReadTimeout: () => ownTimeout },
    readTimeout,
    ADDRESS,
    () => told.timedOut++,
    () => told.lateAnswers++,
  );
  await then(operation);
  return told;
}

/** The same story told by the driver as published and as patched. */
async function bothWays(options: Parameters<typeof story>[0]): Promise<Story> {
  const stock = await withStockDriver(() => story(options));
  const patched = await story(options);
  assert.deepEqual(patched, stock);
  assert.equal(readTimeouts.pending, 0, "a timeout is still pending");
  return patched;
}

Deno.test("a request with no answer fails at its read timeout with the driver's own error", async () => {
  const told = await bothWays({
    then: async (operation) => {
      await sleep(80);
      // An answer after the timeout goes to the connection's late-answer count.
      operation.setResult(null, "late", 0);
    },
  });
  assert.deepEqual(told, {
    calls: [{
      error: `The host ${ADDRESS} did not reply before timeout 30 ms`,
      name: "OperationTimedOutError",
    }],
    timedOut: 1,
    lateAnswers: 1,
  });
});

Deno.test("a request answered in time never times out and leaves no timer", async () => {
  const told = await bothWays({
    then: async (operation) => {
      await sleep(5);
      operation.setResult(null, "rows", 0);
      await sleep(60);
    },
  });
  assert.deepEqual(told, { calls: [{ result: "rows" }], timedOut: 0, lateAnswers: 0 });
});

Deno.test("a cancelled request neither answers nor times out", async () => {
  const told = await bothWays({
    then: async (operation) => {
      operation.cancel();
      await sleep(60);
      assert.equal(operation.canBeWritten(), false);
    },
  });
  assert.deepEqual(told, { calls: [], timedOut: 0, lateAnswers: 0 });
});

Deno.test("a request's own read timeout wins over the client's, and 0 turns it off", async () => {
  const own = await bothWays({ readTimeout: 10_000, ownTimeout: 20, then: () => sleep(60) });
  assert.equal(own.timedOut, 1);
  assert.match(own.calls[0].error ?? "", /timeout 20 ms/);
  const off = await bothWays({ readTimeout: 20, ownTimeout: 0, then: () => sleep(60) });
  assert.deepEqual(off, { calls: [], timedOut: 0, lateAnswers: 0 });
});

Deno.test("the patched driver's read timeouts are the shared ones, settled by every answer", () => {
  const operations = Array.from({ length: 100 }, () => {
    const operation = new OperationState({}, null, () => {});
    operation.setRequestTimeout(
      { getReadTimeout: () => undefined },
      20_000,
      ADDRESS,
      () => {},
      () => {},
    );
    return operation;
  });
  assert.equal(readTimeouts.pending, 100);
  for (const operation of operations) operation.setResult(null, "rows", 0);
  assert.equal(readTimeouts.pending, 0);
});

import assert from "node:assert/strict";
import cassandra from "cassandra-driver";
import kafkajs from "../kafka/kafkajs.ts";
import { MemoryLogger } from "./log.ts";
import {
  backoffDelay,
  CASSANDRA_FAILURES,
  cassandraFailureLabel,
  describeCassandraError,
  type FailureKind,
  KAFKA_FAILURES,
  PermanentFailure,
  reportWhilePending,
  retrying,
} from "./retry.ts";
import { manualStopper } from "./signals.ts";

// kafkajs builds protocol errors from its table of error codes; the types only know Error.
// The error classes are spread into kafkajs' exports, which named ESM imports do not see.
const {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} = kafkajs;
const protocolError = (type: string, code: number, retriable: boolean) =>
  new KafkaJSProtocolError(
    { type, code, retriable, message: `broker says ${type}` } as unknown as Error,
  );

Deno.test("backoff doubles from 250 ms and stops at 5 s", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n)), [
    250,
    500,
    1_000,
    2_000,
    4_000,
    5_000,
    5_000,
    5_000,
  ]);
});

Deno.test("Kafka failures: what waiting clears is retriable, the rest permanent", async (t) => {
  const cases: [string, unknown, "retriable" | "permanent"][] = [
    ["coordinator moving", protocolError("NOT_COORDINATOR", 16, true), "retriable"],
    ["coordinator loading", protocolError("COORDINATOR_LOAD_IN_PROGRESS", 14, true), "retriable"],
    ["leader moving", protocolError("NOT_LEADER_OR_FOLLOWER", 6, true), "retriable"],
    ["broker down", new KafkaJSConnectionError("Connection error: ECONNREFUSED"), "retriable"],
    [
      "kafkajs gave up on a transient error",
      new KafkaJSNumberOfRetriesExceeded(protocolError("NOT_COORDINATOR", 16, true), {
        retryCount: 5,
        retryTime: 1000,
      }),
      "retriable",
    ],
    ["message too large", protocolError("MESSAGE_TOO_LARGE", 10, false), "permanent"],
    ["invalid record", protocolError("INVALID_RECORD", 87, false), "permanent"],
    [
      "too large, wrapped by kafkajs' retrier",
      new KafkaJSNonRetriableError(protocolError("MESSAGE_TOO_LARGE", 10, false)),
      "permanent",
    ],
    ["fenced", protocolError("PRODUCER_FENCED", 90, false), "permanent"],
    ["no permission", protocolError("TOPIC_AUTHORIZATION_FAILED", 29, false), "permanent"],
  ];
  for (const [name, error, verdict] of cases) {
    await t.step(name, () => assert.equal(KAFKA_FAILURES.classify(error), verdict));
  }
});

Deno.test("Cassandra failures: timeouts and unavailable replicas retry, bad requests do not", async (t) => {
  const { ResponseError, NoHostAvailableError, OperationTimedOutError } = cassandra.errors;
  const cases: [string, unknown, "retriable" | "permanent"][] = [
    ["unavailable", new ResponseError(0x1000, "Cannot achieve consistency"), "retriable"],
    ["write timeout", new ResponseError(0x1100, "Write timeout"), "retriable"],
    ["overloaded", new ResponseError(0x1001, "Overloaded"), "retriable"],
    ["invalid query", new ResponseError(0x2200, "Invalid"), "permanent"],
    ["syntax error", new ResponseError(0x2000, "line 1: no viable alternative"), "permanent"],
    ["unauthorized", new ResponseError(0x2100, "User has no MODIFY permission"), "permanent"],
    [
      "no host answered",
      new NoHostAvailableError({ "127.0.0.1:9042": new Error("connect ECONNREFUSED") }),
      "retriable",
    ],
    ["client timeout", new OperationTimedOutError("timed out", "127.0.0.1:9042"), "retriable"],
    ["a value the column cannot hold", new TypeError("Not a valid bigint"), "permanent"],
  ];
  for (const [name, error, verdict] of cases) {
    await t.step(name, () => assert.equal(CASSANDRA_FAILURES.classify(error), verdict));
  }
});

Deno.test("Cassandra failures get a short fixed label for metrics", () => {
  const { ResponseError, NoHostAvailableError, OperationTimedOutError } = cassandra.errors;
  assert.equal(cassandraFailureLabel(new ResponseError(0x1000, "x")), "unavailable");
  assert.equal(cassandraFailureLabel(new ResponseError(0x1100, "x")), "write_timeout");
  assert.equal(cassandraFailureLabel(new ResponseError(0x2200, "x")), "other");
  assert.equal(cassandraFailureLabel(new NoHostAvailableError({})), "no_host_available");
  assert.equal(
    cassandraFailureLabel(new OperationTimedOutError("timed out", "127.0.0.1:9042")),
    "client_timeout",
  );
  assert.equal(cassandraFailureLabel(new Error("socket hang up")), "other");
});

Deno.test("an all-hosts-failed error names each host and its reason, without stray punctuation", () => {
  const error = new cassandra.errors.NoHostAvailableError({
    "127.0.0.1:9042": new Error("connect ECONNREFUSED 127.0.0.1:9042"),
    "127.0.0.2:9042": new Error("Operation timed out.\n  at stack"),
  });
  assert.equal(
    describeCassandraError(error),
    "no Cassandra host answered; tried 127.0.0.1:9042 (connect ECONNREFUSED 127.0.0.1:9042), " +
      "127.0.0.2:9042 (Operation timed out)",
  );
});

const TEST_KIND: FailureKind = {
  classify: (error) => (error as Error).message.startsWith("transient") ? "retriable" : "permanent",
  describe: (error) => (error as Error).message,
};
const FAST = { initialMs: 1, maxMs: 2 };

Deno.test("retrying retries a retriable failure with a warning, then returns the result", async () => {
  const logger = new MemoryLogger();
  let calls = 0;
  const result = await retrying(
    {
      what: "writing to Cassandra",
      kind: TEST_KIND,
      logger,
      stopper: manualStopper(),
      backoff: FAST,
    },
    () => {
      calls++;
      if (calls < 3) throw new Error("transient: node down");
      return Promise.resolve("done");
    },
  );
  assert.equal(result, "done");
  assert.equal(calls, 3);
  assert.match(logger.lines[0], /^warning: Writing to Cassandra failed \(attempt 1\): transient/);
});

Deno.test("retrying never retries a permanent failure, and says so", async () => {
  let calls = 0;
  const failure = await retrying(
    {
      what: "sending dead letters",
      kind: TEST_KIND,
      logger: new MemoryLogger(),
      stopper: manualStopper(),
      backoff: FAST,
      consequence: "nothing was committed",
    },
    () => {
      calls++;
      throw new Error("message too large");
    },
  ).catch((error: Error) => error);
  assert.equal(calls, 1);
  assert.ok(failure instanceof PermanentFailure);
  assert.ok(failure instanceof Error);
  assert.equal(
    failure.message,
    "Sending dead letters failed, and retrying cannot fix it: message too large; " +
      "nothing was committed",
  );
});

Deno.test("retrying ends when stopped, in lower case after 'while'", async () => {
  const stopper = manualStopper();
  const failure = await retrying(
    { what: "writing to Cassandra", kind: TEST_KIND, logger: new MemoryLogger(), stopper },
    () => {
      stopper.stop();
      throw new Error("transient: unavailable");
    },
  ).catch((error: Error) => error);
  assert.ok(failure instanceof Error);
  assert.equal(
    failure.message,
    "Stopped while writing to Cassandra was failing: transient: unavailable",
  );
});

Deno.test("reportWhilePending reports a slow promise and stays quiet for a fast one", async () => {
  const waits: number[] = [];
  const slow = new Promise((resolve) => setTimeout(() => resolve("late"), 80));
  assert.equal(await reportWhilePending(slow, 20, (s) => waits.push(s)), "late");
  assert.ok(waits.length >= 2, `reported ${waits.length} times`);
  const quiet: number[] = [];
  await reportWhilePending(Promise.resolve(1), 20, (s) => quiet.push(s));
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(quiet, []);
});

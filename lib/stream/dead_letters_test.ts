import assert from "node:assert/strict";
import {
  chunkDeadLetters,
  type DeadLetter,
  deadLetter,
  fitDeadLetter,
  recordBytes,
} from "./dead_letters.ts";
import { sourceMessage } from "./fakes.ts";

const SOURCE = { topic: "reviews", group: "g" };
const LIMIT = 1_048_588; // Kafka's default max.message.bytes

Deno.test("a dead letter keeps the message and says why and where it came from", () => {
  const message = { ...sourceMessage(2, 41, "{bad"), headers: { trace: "abc" } };
  const letter = deadLetter(message, "not JSON", SOURCE);
  assert.equal(new TextDecoder().decode(letter.value!), "{bad");
  assert.deepEqual(letter.headers, {
    trace: "abc",
    "dlq.reason": "not JSON",
    "dlq.source.topic": "reviews",
    "dlq.source.partition": "2",
    "dlq.source.offset": "41",
    "dlq.source.timestamp": "1709287200000",
    "dlq.group": "g",
  });
});

Deno.test("a letter that fits is sent unchanged", () => {
  const letter = deadLetter(sourceMessage(0, 1, "x".repeat(1_000)), "bad", SOURCE);
  assert.equal(fitDeadLetter(letter, LIMIT), letter);
});

Deno.test("a letter over the topic's limit is cut to fit and marked with its original size", () => {
  const huge = deadLetter(sourceMessage(0, 7, "y".repeat(LIMIT + 10)), "too big", SOURCE);
  const fitted = fitDeadLetter(huge, LIMIT);
  assert.ok(recordBytes(fitted) <= LIMIT - 61, `fits in one batch: ${recordBytes(fitted)}`);
  assert.equal(fitted.headers["dlq.truncated"], "true");
  assert.equal(fitted.headers["dlq.original.bytes"], String(LIMIT + 10));
  assert.equal(fitted.headers["dlq.reason"], "too big");
  assert.ok(fitted.value!.length > LIMIT - 2_000, "keeps as much of the value as fits");
  assert.deepEqual(fitted.value!.subarray(0, 10), huge.value!.subarray(0, 10));
});

Deno.test("a letter just under the limit once its headers are counted is cut too", () => {
  const headerBytes = recordBytes(deadLetter(sourceMessage(0, 7, ""), "near", SOURCE));
  const near = deadLetter(sourceMessage(0, 7, "z".repeat(LIMIT - headerBytes)), "near", SOURCE);
  assert.equal(fitDeadLetter(near, LIMIT).headers["dlq.truncated"], "true");
});

Deno.test("letters are split into sends under the limit, in order, none left out", () => {
  const letters: DeadLetter[] = Array.from(
    { length: 10_000 },
    (_, i) => deadLetter(sourceMessage(0, i, "b".repeat(1_000)), "bad", SOURCE),
  );
  const chunks = chunkDeadLetters(letters, LIMIT);
  assert.ok(chunks.length >= 10, `${chunks.length} sends`);
  for (const chunk of chunks) {
    const bytes = chunk.reduce((sum, letter) => sum + recordBytes(letter), 0);
    assert.ok(bytes <= LIMIT - 61, `a send of ${bytes} bytes`);
  }
  assert.deepEqual(chunks.flat(), letters);
});

Deno.test("no letters, no sends", () => {
  assert.deepEqual(chunkDeadLetters([], LIMIT), []);
});

import assert from "node:assert/strict";
import { type CommittableBatch, hasDeadLetters, planCommit } from "./commit_plan.ts";
import { deadLetter } from "./dead_letters.ts";
import { sourceMessage } from "./fakes.ts";

const SOURCE = { topic: "reviews", group: "g" };
const letter = (partition: number, offset: number) =>
  deadLetter(sourceMessage(partition, offset, "{bad"), "the value is not JSON", SOURCE);

function batch(
  next: [number, number][],
  letters: [number, number[]][] = [],
  epochs: [number, number][] = next.map(([p]) => [p, 0]),
): CommittableBatch {
  return {
    next: new Map(next),
    deadLetters: new Map(letters.map(([p, offsets]) => [p, offsets.map((o) => letter(p, o))])),
    epochs: new Map(epochs),
  };
}

const offsetsOf = (letters: readonly { headers: Record<string, string> }[]) =>
  letters.map((l) => l.headers["dlq.source.offset"]);

Deno.test("a plan moves each partition past every batch it covers, with their letters in order", () => {
  const plan = planCommit([
    batch([[0, 10], [1, 5]], [[1, [3]]]),
    batch([[0, 20]]),
    batch([[0, 30], [1, 9]], [[0, [25]], [1, [7]]]),
  ], () => 0);
  assert.deepEqual([...plan.keys()].sort(), [0, 1]);
  assert.equal(plan.get(0)!.next, 30);
  assert.deepEqual(plan.get(0)!.batches, [0, 1, 2]);
  assert.equal(plan.get(1)!.next, 9);
  assert.deepEqual(plan.get(1)!.batches, [0, 2]);
  assert.deepEqual(offsetsOf(plan.get(1)!.letters), ["3", "7"]);
  assert.deepEqual(offsetsOf(plan.get(0)!.letters), ["25"]);
});

Deno.test("a batch taken before its partition was fenced does not commit it", () => {
  // Partition 0 was fenced once after the first batch was taken: only the second counts there.
  const plan = planCommit([
    batch([[0, 10], [1, 4]], [[0, [2]]], [[0, 0], [1, 0]]),
    batch([[0, 7]], [], [[0, 1]]),
  ], (partition) => partition === 0 ? 1 : 0);
  assert.equal(plan.get(0)!.next, 7);
  assert.deepEqual(plan.get(0)!.letters, []);
  assert.deepEqual(plan.get(0)!.batches, [1]);
  assert.equal(plan.get(1)!.next, 4);
});

Deno.test("a partition no batch is valid for is left out", () => {
  const plan = planCommit([batch([[2, 10]], [], [[2, 0]])], () => 3);
  assert.equal(plan.size, 0);
});

Deno.test("hasDeadLetters tells a batch with letters from one without", () => {
  assert.equal(hasDeadLetters(batch([[0, 1]])), false);
  assert.equal(hasDeadLetters({ deadLetters: new Map([[0, []]]) }), false);
  assert.equal(hasDeadLetters(batch([[0, 1]], [[0, [0]]])), true);
});

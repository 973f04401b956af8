import assert from "node:assert/strict";
import { describeStandings, PartitionLedger } from "./ledger.ts";

// Three partitions: earliest offsets 0, 5, 0; end offsets at start 10, 5, 20.
const ledger = () =>
  new PartitionLedger(new Map([[0, 0], [1, 5], [2, 0]]), new Map([[0, 10], [1, 5], [2, 20]]));

Deno.test("an assignment says what was added and revoked, and nothing is ready until claimed", () => {
  const l = ledger();
  assert.equal(l.joined, false);
  assert.deepEqual(l.assign([0, 1]), { added: [0, 1], revoked: [] });
  assert.equal(l.joined, true);
  assert.deepEqual(l.ready, []);
  l.markReady(0);
  l.markReady(2); // not owned: ignored
  assert.deepEqual(l.ready, [0]);
  assert.deepEqual(l.assign([1, 2]), { added: [2], revoked: [0] });
  assert.deepEqual(l.ready, [], "a new assignment must be claimed again");
});

Deno.test("committed positions only move forward; lag counts from them", () => {
  const l = ledger();
  assert.equal(l.lag(), 30);
  l.committed(0, 7);
  l.committed(0, 3);
  assert.equal(l.position(0), 7);
  assert.equal(l.lag([0]), 3);
  l.latest(0, 12);
  assert.equal(l.lag([0]), 5);
});

Deno.test("drained means every partition of the topic reached its target, owned here or not", () => {
  const l = ledger();
  l.assign([0]);
  l.committed(0, 10);
  assert.equal(l.drained, false, "partition 2 is held elsewhere and short of its target");
  assert.deepEqual(l.remaining().map((s) => s.partition), [2]);
  l.committed(2, 20);
  assert.equal(l.drained, true);
});

Deno.test("a member with no partitions is not drained while others have lag", () => {
  const l = ledger();
  l.assign([]);
  assert.equal(l.joined, true);
  assert.equal(l.drained, false);
  assert.equal(
    describeStandings(l.remaining()),
    "partition 0 at 0 of 10 (lag 10, held elsewhere), partition 2 at 0 of 20 (lag 20, held elsewhere)",
  );
});

Deno.test("a held partition stays owned but is not ready until marked ready again", () => {
  const l = ledger();
  l.assign([0, 2]);
  l.markReady(0);
  l.markReady(2);
  l.hold(2);
  assert.deepEqual(l.owned, [0, 2]);
  assert.deepEqual(l.ready, [0]);
  l.markReady(2);
  assert.deepEqual(l.ready, [0, 2]);
});

Deno.test("a lost partition leaves ownership and readiness", () => {
  const l = ledger();
  l.assign([0, 2]);
  l.markReady(0);
  l.markReady(2);
  l.lose(2);
  assert.deepEqual(l.owned, [0]);
  assert.deepEqual(l.ready, [0]);
  assert.equal(l.isReady(2), false);
});

Deno.test("reads reach the targets when every owned partition has read or committed up to its end", () => {
  const l = ledger();
  l.assign([0, 2]);
  const read = new Map([[0, 10]]);
  assert.equal(l.readsReachTargets((p) => read.get(p)), false);
  read.set(2, 20);
  assert.equal(l.readsReachTargets((p) => read.get(p)), true);
  read.delete(2);
  l.committed(2, 20);
  assert.equal(l.readsReachTargets((p) => read.get(p)), true);
});

import assert from "node:assert/strict";
import { messageBytes, MicroBatchBuffer } from "./buffer.ts";
import { sourceMessage } from "./fakes.ts";

const fill = (buffer: MicroBatchBuffer, partition: number, from: number, count: number) => {
  for (let offset = from; offset < from + count; offset++) {
    buffer.append(sourceMessage(partition, offset, "x"));
  }
};
const offsets = (messages: { partition: number; offset: number }[]) =>
  messages.map((m) => `${m.partition}:${m.offset}`);

Deno.test("the buffer takes fairly across partitions, oldest first, up to the maximum", () => {
  const buffer = new MicroBatchBuffer(100, Infinity);
  fill(buffer, 0, 0, 5);
  fill(buffer, 1, 10, 2);
  const taken = buffer.take(5, [0, 1]);
  assert.deepEqual(offsets(taken), ["0:0", "0:1", "0:2", "1:10", "1:11"]);
  assert.equal(buffer.size, 2);
  assert.deepEqual(offsets(buffer.take(10, [0, 1])), ["0:3", "0:4"]);
  assert.equal(buffer.size, 0);
  assert.equal(buffer.bytes, 0);
});

Deno.test("the buffer only takes from the partitions asked for", () => {
  const buffer = new MicroBatchBuffer(100, Infinity);
  fill(buffer, 0, 0, 3);
  fill(buffer, 2, 0, 3);
  assert.deepEqual(offsets(buffer.take(10, [2])), ["2:0", "2:1", "2:2"]);
  assert.equal(buffer.waiting(0), 3);
});

Deno.test("the buffer is full at its count or its byte bound", () => {
  const byCount = new MicroBatchBuffer(3, Infinity);
  fill(byCount, 0, 0, 2);
  assert.equal(byCount.full, false);
  fill(byCount, 0, 2, 1);
  assert.equal(byCount.full, true);

  const one = messageBytes(sourceMessage(0, 0, "x"));
  const byBytes = new MicroBatchBuffer(1_000, one * 2);
  fill(byBytes, 0, 0, 1);
  assert.equal(byBytes.full, false);
  fill(byBytes, 1, 0, 1);
  assert.equal(byBytes.full, true);
  assert.equal(byBytes.bytes, one * 2);
});

Deno.test("a re-fetched message is not appended twice", () => {
  const buffer = new MicroBatchBuffer(100, Infinity);
  fill(buffer, 0, 0, 3);
  assert.equal(buffer.append(sourceMessage(0, 1, "again")), false);
  fill(buffer, 0, 0, 5);
  assert.equal(buffer.size, 5);
  assert.equal(buffer.readThrough(0), 5);
  assert.equal(buffer.readThrough(1), undefined);
});

Deno.test("revoked partitions are forgotten, with their counts and read positions", () => {
  const buffer = new MicroBatchBuffer(100, Infinity);
  fill(buffer, 0, 0, 3);
  fill(buffer, 1, 0, 4);
  fill(buffer, 2, 0, 2);
  buffer.retain(new Set([1]));
  assert.equal(buffer.size, 4);
  assert.equal(buffer.bytes, 4 * messageBytes(sourceMessage(1, 0, "x")));
  assert.equal(buffer.readThrough(0), undefined);
  // The next owner may hand partition 0 back: it is read again from the committed offset.
  assert.equal(buffer.append(sourceMessage(0, 0, "x")), true);
});

Deno.test("messages below a committed offset are dropped", () => {
  const buffer = new MicroBatchBuffer(100, Infinity);
  fill(buffer, 0, 0, 6);
  buffer.dropBelow(0, 4);
  assert.deepEqual(offsets(buffer.take(10, [0])), ["0:4", "0:5"]);
  assert.equal(buffer.size, 0);
});

Deno.test("take stops at the byte bound but always takes at least one message", () => {
  const buffer = new MicroBatchBuffer(100, Infinity);
  fill(buffer, 0, 0, 4);
  assert.equal(buffer.take(10, [0], { maxBytes: 1 }).length, 1);
  const one = messageBytes(sourceMessage(0, 0, "x"));
  assert.equal(buffer.take(10, [0], { maxBytes: one * 2 }).length, 2);
});

Deno.test("whenRoom resolves once messages are taken from a full buffer", async () => {
  const buffer = new MicroBatchBuffer(2, Infinity);
  await buffer.whenRoom(); // not full: at once
  buffer.append(sourceMessage(0, 0, "a"));
  buffer.append(sourceMessage(0, 1, "b"));
  let woken = false;
  const room = buffer.whenRoom().then(() => woken = true);
  await Promise.resolve();
  assert.equal(woken, false, "still full");
  buffer.take(1, [0]);
  await room;
  assert.equal(woken, true);
});

Deno.test("whenRoom resolves when a full buffer forgets or drops a partition's messages", async () => {
  for (
    const empty of [
      (b: MicroBatchBuffer) => b.forget(0),
      (b: MicroBatchBuffer) => b.dropBelow(0, 1),
    ]
  ) {
    const buffer = new MicroBatchBuffer(2, Infinity);
    buffer.append(sourceMessage(0, 0, "a"));
    buffer.append(sourceMessage(0, 1, "b"));
    const room = buffer.whenRoom();
    empty(buffer);
    await room;
    assert.equal(buffer.full, false);
  }
});

Deno.test("fullBefore() says whether appended messages fill the buffer before a deadline", async () => {
  const buffer = new MicroBatchBuffer(2, Infinity);
  let filled: boolean | undefined;
  const never = new Promise<void>(() => {});
  const full = buffer.fullBefore(never).then((result) => filled = result);
  buffer.append(sourceMessage(0, 0, "x"));
  await Promise.resolve();
  assert.equal(filled, undefined, "one message of two");
  buffer.append(sourceMessage(0, 1, "x"));
  await full;
  assert.equal(filled, true);
  assert.equal(await buffer.fullBefore(never), true, "full: at once");
  // A deadline that comes first answers false, and leaves no wait behind.
  const other = new MicroBatchBuffer(2, Infinity);
  const ended = Promise.withResolvers<void>();
  const answer = other.fullBefore(ended.promise);
  ended.resolve();
  assert.equal(await answer, false);
  const failed = Promise.reject(new Error("write failed"));
  assert.equal(await other.fullBefore(failed), false, "a failed deadline ends the wait too");
});

Deno.test("a wait for room that times out while the buffer stays full keeps nothing", async () => {
  const buffer = new MicroBatchBuffer(1, Infinity);
  buffer.append(sourceMessage(0, 0, "x"));
  for (let i = 0; i < 3; i++) await buffer.whenRoom(1);
  assert.equal(buffer.full, true, "timed out, not woken");
});

Deno.test("messages taken with hold count against the bound until released", async () => {
  const buffer = new MicroBatchBuffer(4, Infinity);
  fill(buffer, 0, 0, 4);
  const held = buffer.take(3, [0], { hold: true });
  assert.equal(buffer.size, 1, "they left the buffer");
  assert.equal(buffer.full, true, "but the source may not fetch more yet");
  let room = false;
  const roomMade = buffer.whenRoom().then(() => room = true);
  await Promise.resolve();
  assert.equal(room, false, "one in the buffer and three held fill the bound of four");
  buffer.release(held);
  await roomMade;
  assert.equal(buffer.full, false);
  fill(buffer, 0, 4, 3);
  assert.equal(buffer.full, true, "the whole bound is the buffer's again");
});

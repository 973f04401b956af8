import assert from "node:assert/strict";
import {
  groupMessagesPerPartition,
  newEncoder,
  originalWriteUVarInt,
  originalWriteVarLong,
  writeUVarInt,
  writeVarLong,
} from "./kafkajs_patches.ts";

function bytes(
  write: (this: ReturnType<typeof newEncoder>, value: number) => unknown,
  values: number[],
): number[] {
  const encoder = newEncoder();
  for (const value of values) write.call(encoder, value);
  return [...encoder.buffer];
}

Deno.test("the faster varint writes exactly the bytes kafkajs' own does", () => {
  const values = [0, 1, 127, 128, 255, 300, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 31 - 1, -1, -2];
  for (let i = 0; i < 2_000; i++) values.push(Math.floor(Math.random() * 2 ** 32) - 2 ** 31);
  assert.deepEqual(bytes(writeUVarInt, values), bytes(originalWriteUVarInt, values));
});

Deno.test("the faster varint grows the encoder's buffer when it is full", () => {
  const values = Array.from({ length: 1_000 }, (_, i) => i * 7919);
  const encoder = newEncoder();
  for (const value of values) writeUVarInt.call(encoder, value);
  assert.deepEqual([...encoder.buffer], bytes(originalWriteUVarInt, values));
});

Deno.test("the faster varlong writes exactly the bytes kafkajs' own does", () => {
  const values = [0, 1, -1, 63, 64, -64, -65, 2 ** 31, -(2 ** 31), 1_709_287_200_000, -(2 ** 40)];
  values.push(2 ** 51 - 1, -(2 ** 51) + 1, 2 ** 51, 2 ** 52, -(2 ** 53)); // the last three: kafkajs'
  for (let i = 0; i < 2_000; i++) values.push(Math.round((Math.random() - 0.5) * 2 ** (i % 52)));
  assert.deepEqual(bytes(writeVarLong, values), bytes(originalWriteVarLong, values));
});

Deno.test("messages are grouped by the partitioner's choice, each group in send order", () => {
  const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 4}`, value: `${i}` }));
  const calls: string[] = [];
  const groups = groupMessagesPerPartition({
    topic: "t",
    partitionMetadata: [{}, {}, {}],
    messages,
    partitioner: ({ topic, message }) => {
      calls.push(`${topic}:${message.value}`);
      return Number(message.key.slice(1)) % 3;
    },
  });
  assert.deepEqual(
    Object.fromEntries(Object.entries(groups).map(([p, list]) => [p, list.map((m) => m.value)])),
    { 0: ["0", "3", "4", "7", "8"], 1: ["1", "5", "9"], 2: ["2", "6"] },
  );
  assert.equal(calls.length, 10, "the partitioner is asked once per message");
  assert.deepEqual(
    groupMessagesPerPartition({
      topic: "t",
      partitionMetadata: [],
      messages,
      partitioner: () => 0,
    }),
    {},
  );
});

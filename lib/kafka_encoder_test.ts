import assert from "node:assert/strict";
import { newEncoder, originalWriteUVarInt, writeUVarInt } from "./kafka_encoder.ts";

function bytes(write: typeof originalWriteUVarInt, values: number[]): number[] {
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

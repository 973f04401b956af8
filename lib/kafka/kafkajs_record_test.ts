import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import "./kafkajs.ts";
import { encodeRecord, originalEncodeRecord, type RecordInput } from "./kafkajs_record.ts";

function bytesOf(record: { buffer: Uint8Array }): number[] {
  return [...record.buffer];
}

function assertSameBytes(input: RecordInput): void {
  assert.deepEqual(
    bytesOf(encodeRecord(input)),
    bytesOf(originalEncodeRecord(input)),
    JSON.stringify(input),
  );
}

const texts = [
  "",
  "a",
  "Ada Lovelace",
  "Amélie",
  "東京物語",
  "🎬 film",
  "\uD83C lone",
  "x".repeat(300),
];

Deno.test("records are written with exactly the bytes of kafkajs' own encoder", () => {
  const json = '{"reviewer":"Ada","movie":"Heat","time":"2024-03-01T10:00:00.123Z","rating":9}';
  const keys: unknown[] = [null, undefined, ...texts, Buffer.from("raw key")];
  const values: unknown[] = [null, json, ...texts, Buffer.from([0, 1, 255]), Buffer.alloc(200, 7)];
  const deltas = [0, 1, 63, 64, -1, -65, 8_191, 8_192, 1_709_287_200_000, -(2 ** 40)];
  for (const key of keys) {
    for (const value of values) {
      for (const [i, timestampDelta] of deltas.entries()) {
        assertSameBytes({ key, value, timestampDelta, offsetDelta: i * 997 });
      }
    }
  }
  for (let offsetDelta = 0; offsetDelta < 70_000; offsetDelta += 61) {
    assertSameBytes({ key: "k", value: json, offsetDelta });
  }
  assertSameBytes({ key: "k", value: "v" }); // kafkajs' defaults for both deltas
  assertSameBytes({ key: "k", value: "v", headers: {} });
});

Deno.test("records the fast path does not take go to kafkajs' encoder, with the same bytes", () => {
  const cases: RecordInput[] = [
    { key: "k", value: "v", headers: { reason: "bad", tries: ["1", "2"] } },
    { key: "k", value: "v", timestampDelta: 2 ** 52 },
    { key: "k", value: "v", timestampDelta: 1.5 },
    { key: 42, value: "v" }, // kafkajs writes String(42)... after sizing it by Buffer.byteLength
    { key: "k", value: "v", offsetDelta: 2 ** 31 },
  ];
  for (const input of cases) {
    let mine: number[] | Error;
    let theirs: number[] | Error;
    try {
      mine = bytesOf(encodeRecord(input));
    } catch (error) {
      mine = error as Error;
    }
    try {
      theirs = bytesOf(originalEncodeRecord(input));
    } catch (error) {
      theirs = error as Error;
    }
    if (theirs instanceof Error) {
      assert.ok(mine instanceof Error, JSON.stringify(input));
      assert.equal(mine.message, theirs.message);
    } else {
      assert.deepEqual(mine, theirs, JSON.stringify(input));
    }
  }
});

Deno.test("records stay intact while later ones fill the slab and the next one", () => {
  const inputs = Array.from({ length: 2_000 }, (_, i) => ({
    key: `person ${i}`,
    value: "v".repeat(i % 500),
    offsetDelta: i,
  }));
  const records = inputs.map(encodeRecord);
  records.forEach((record, i) => {
    assert.ok(Buffer.isBuffer(record.buf));
    assert.deepEqual(bytesOf(record), bytesOf(originalEncodeRecord(inputs[i])));
  });
});

Deno.test("kafkajs' produce request encodes its records with the fast encoder", () => {
  const require = createRequire(import.meta.url);
  assert.equal(require("kafkajs/src/protocol/recordBatch/record/v0/index.js"), encodeRecord);
});

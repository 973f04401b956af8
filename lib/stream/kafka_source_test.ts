import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import type { KafkaMessage } from "../kafka/kafkajs.ts";
import { decodeRecordBatch, InPlaceRecord, recordDecoder } from "../kafka/kafkajs_records.ts";
import { messageBytes, type SourceMessage } from "./buffer.ts";
import { ConsumedMessage } from "./kafka_source.ts";

Deno.test("a consumed message reads its key and value from the fetched bytes, as given", () => {
  const fetched = Buffer.from('..person{"rating":7}..');
  const key = fetched.subarray(2, 8);
  const value = fetched.subarray(8, 20);
  const message = ConsumedMessage.of(1, 42, key, value, "1709287200000", { h: "v" });
  assert.deepEqual(
    [message.partition, message.offset, message.timestamp, message.headers],
    [1, 42, "1709287200000", { h: "v" }],
  );
  assert.equal(new TextDecoder().decode(message.key!), "person");
  assert.equal(new TextDecoder().decode(message.value!), '{"rating":7}');
  assert.equal(message.value!.buffer, fetched.buffer, "a view of the same bytes, not a copy");
  assert.equal(message.size, 18);
  assert.equal(
    messageBytes(message),
    messageBytes({ partition: 1, offset: 42, key, value, timestamp: "0" }),
  );
});

Deno.test("a consumed message without a key or a value says null, and counts no bytes for it", () => {
  const message = ConsumedMessage.of(0, 0, null, null, "0", undefined);
  assert.equal(message.key, null);
  assert.equal(message.value, null);
  assert.equal(message.size, 0);
  const empty = ConsumedMessage.of(0, 1, null, new Uint8Array(0), "0", undefined);
  assert.deepEqual(empty.value, new Uint8Array(0));
});

Deno.test("a message of a record read in place holds what a message of its views holds", async () => {
  const require = createRequire(import.meta.url);
  const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js");
  const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");
  const { Types } = require("kafkajs/src/protocol/message/compression/index.js");
  const text = (value: string) => Buffer.from(value);
  const records = [
    Record({ offsetDelta: 0, key: text("Ada"), value: text('{"rating":7}') }),
    Record({ offsetDelta: 1, key: null, value: text("") }),
    Record({ offsetDelta: 2, key: text(""), value: null, headers: { h: text("v") } }),
  ];
  for (const compression of [Types.None, Types.GZIP]) {
    const encoded = Buffer.from((await RecordBatch({ compression, records })).buffer);
    const decoded = await decodeRecordBatch(recordDecoder(encoded));
    for (const record of decoded.records) {
      assert.ok(record instanceof InPlaceRecord);
      const kafkaMessage = record as unknown as KafkaMessage;
      const inPlace = ConsumedMessage.ofRecord(3, kafkaMessage);
      const viewed = ConsumedMessage.of(
        3,
        Number(record.offset),
        record.key,
        record.value,
        record.timestamp,
        record.headers as SourceMessage["headers"],
      );
      const seen = (message: ConsumedMessage) => ({
        partition: message.partition,
        offset: message.offset,
        timestamp: message.timestamp,
        headers: message.headers,
        key: message.key === null ? null : [...message.key],
        value: message.value === null ? null : [...message.value],
        size: message.size,
      });
      assert.deepEqual(seen(inPlace), seen(viewed));
      if (inPlace.chunk !== undefined) {
        const { chunk, valueAt, valueLength } = inPlace;
        assert.deepEqual([...chunk.subarray(valueAt, valueAt + valueLength)], seen(viewed).value);
      }
    }
  }
});

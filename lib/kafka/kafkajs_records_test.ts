import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { newEncoder, originalWriteVarLong } from "./kafkajs_patches.ts";
import {
  type DecodedRecord,
  decodeRecordBatch,
  originalDecodeRecordBatch,
  readSmallVarLong,
  type RecordDecoder,
  recordDecoder,
} from "./kafkajs_records.ts";

const require = createRequire(import.meta.url);
const { RecordBatch }: {
  RecordBatch: (batch: Record<string, unknown>) => Promise<{ buffer: Uint8Array }>;
} = require("kafkajs/src/protocol/recordBatch/v0/index.js");
const Record: (record: Record<string, unknown>) => unknown = require(
  "kafkajs/src/protocol/recordBatch/record/v0/index.js",
);
const Long: { fromValue(value: unknown): unknown } = require("kafkajs/src/utils/long.js");
const { Types } = require("kafkajs/src/protocol/message/compression/index.js");

/** Where a batch's attributes (int16) start: offset, length, leader epoch, magic, CRC. */
const ATTRIBUTES_AT = 8 + 4 + 4 + 1 + 4;

const text = (value: string) => Buffer.from(value);

/** Records covering what a value can be: null key or value, headers repeated and empty. */
function records(count: number, { offsetStep = 1, timeStep = 7 } = {}) {
  return Array.from({ length: count }, (_, i) =>
    Record({
      offsetDelta: i * offsetStep,
      timestampDelta: Long.fromValue(i * timeStep - 3),
      key: i % 5 === 0 ? null : text(`person ${i}`),
      value: i % 7 === 3 ? null : text(JSON.stringify({ i, name: "Zoë" })),
      headers: i % 3 === 0
        ? {}
        : i % 3 === 1
        ? { "dlq.reason": "bad", trace: text("") }
        : { repeated: [text("a"), text("b"), text("c")], one: text("x") },
    }));
}

async function encode(
  batch: Record<string, unknown>,
  attributeBits = 0,
): Promise<Buffer> {
  const bytes = Buffer.from((await RecordBatch(batch)).buffer);
  bytes[ATTRIBUTES_AT + 1] |= attributeBits;
  return bytes;
}

/** A decoded batch with each record as the plain object kafkajs makes, its key and value read. */
function plainBatch(batch: unknown): unknown {
  const { records, ...rest } = batch as { records: DecodedRecord[] };
  return {
    ...rest,
    records: records.map((record) => ({
      magicByte: record.magicByte,
      attributes: record.attributes,
      timestamp: record.timestamp,
      offset: record.offset,
      key: record.key,
      value: record.value,
      headers: record.headers,
      isControlRecord: record.isControlRecord,
      batchContext: record.batchContext,
    })),
  };
}

async function decodeBoth(bytes: Uint8Array) {
  const outcome = async (decode: (decoder: RecordDecoder) => Promise<unknown>) => {
    const decoder = recordDecoder(bytes);
    try {
      return { batch: plainBatch(await decode(decoder)), offset: decoder.offset };
    } catch (error) {
      return { error: String(error) };
    }
  };
  return [await outcome(decodeRecordBatch), await outcome(originalDecodeRecordBatch)];
}

const CASES: [string, Record<string, unknown>, number?][] = [
  ["uncompressed", { records: records(40), lastOffsetDelta: 39 }],
  ["gzip", { compression: Types.GZIP, records: records(40), lastOffsetDelta: 39 }],
  ["no records", { records: [] }],
  ["a timestamp of -1 and an offset of 0", {
    firstTimestamp: -1,
    maxTimestamp: -1,
    records: records(3),
  }],
  ["offsets that pass 2^53", {
    firstOffset: Long.fromValue("9007199254740990"),
    records: records(6),
  }],
  ["a first offset past 2^53", {
    firstOffset: Long.fromValue("9223372036854775000"),
    records: records(4),
  }],
  ["timestamps that pass 2^53", {
    firstTimestamp: Long.fromValue("9007199254740000"),
    records: records(4, { timeStep: 500 }),
  }],
  ["large negative and positive timestamp deltas", {
    firstTimestamp: Long.fromValue("1733100000000"),
    records: [
      Record({ timestampDelta: Long.fromValue("-1733100000000"), value: text("a") }),
      Record({ timestampDelta: Long.fromValue("4000000000000000"), value: text("b") }),
      Record({ timestampDelta: Long.fromValue("9000000000000000000"), value: text("c") }),
    ],
  }],
  ["log-append time", { records: records(5), maxTimestamp: 1733100009999 }, 0x08],
  ["a transactional control batch", { records: records(2), transactional: true }, 0x20],
];

for (const [name, batch, bits] of CASES) {
  Deno.test(`record batches decode as kafkajs decodes them: ${name}`, async () => {
    const [patched, original] = await decodeBoth(await encode(batch, bits));
    assert.ok(!("error" in original), `kafkajs decodes it: ${JSON.stringify(original)}`);
    assert.deepEqual(patched, original);
  });
}

Deno.test("a record whose length does not match its fields decodes as kafkajs decodes it", async () => {
  // The first record's length varint sits after the batch header and the record count. The
  // short record ends with a header value, which a length one byte short cuts.
  const first = ATTRIBUTES_AT + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
  const short = Record({ key: text("k"), value: text("v"), headers: { one: text("x") } });
  for (const batch of [records(3), [short]]) {
    const good = await encode({ records: batch });
    for (const change of [+2, -2, -100]) {
      const bytes = Buffer.from(good);
      // Lengths are zigzag varints of one byte here; the change keeps them one byte.
      bytes[first] = Math.max(0, Math.min(0x7f, bytes[first] + change));
      const [patched, original] = await decodeBoth(bytes);
      assert.deepEqual(patched, original, `length changed by ${change}`);
    }
  }
});

Deno.test("a partial batch fails as kafkajs fails", async () => {
  const bytes = Buffer.from((await encode({ records: records(5) })).subarray(0, 60));
  const [patched, original] = await decodeBoth(bytes);
  assert.match(String(original.error), /partial record batch/);
  assert.deepEqual(patched, original);
});

Deno.test("readSmallVarLong reads what fits a double and leaves the rest alone", () => {
  const decoder = recordDecoder(Buffer.from([0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  assert.equal(readSmallVarLong(decoder), -3);
  assert.equal(decoder.offset, 1);
  assert.equal(readSmallVarLong(decoder), undefined, "eight bytes: more than a double holds");
  assert.equal(decoder.offset, 1);
  assert.equal(readSmallVarLong(recordDecoder(Buffer.from([0x80]))), undefined, "truncated");
});

Deno.test("readSmallVarLong reads what kafkajs' readVarLong reads, wherever a double holds it", () => {
  const values = [0, 1, -1, 63, 64, -64, -65, 2 ** 31, -(2 ** 31), 1_709_287_200_000, -(2 ** 40)];
  values.push(2 ** 48 - 1, -(2 ** 48), 2 ** 48, 2 ** 51 - 1, -(2 ** 51) + 1, 2 ** 53, -(2 ** 53));
  for (let i = 0; i < 2_000; i++) values.push(Math.round((Math.random() - 0.5) * 2 ** (i % 54)));
  const encoder = newEncoder();
  for (const value of values) originalWriteVarLong.call(encoder, value);
  const encoded = Buffer.from(encoder.buffer);
  // The last bytes cut a varint short: neither reads past the end differently.
  for (const input of [encoded, encoded.subarray(0, encoded.length - 1), Buffer.from([0x80])]) {
    const ours = recordDecoder(Buffer.from(input));
    const theirs = recordDecoder(Buffer.from(input));
    let read = 0;
    while (theirs.offset < input.length) {
      const before = ours.offset;
      const small = readSmallVarLong(ours);
      const long = String(theirs.readVarLong());
      if (small === undefined) {
        assert.equal(ours.offset, before, "not moved when it cannot read");
        ours.offset = theirs.offset;
      } else {
        assert.equal(String(small), long);
        assert.equal(ours.offset, theirs.offset);
        read++;
      }
    }
    if (input === encoded) {
      // Every value below 2^48 in size fits seven varint bytes, exact in a double.
      assert.equal(read, values.filter((v) => v >= -(2 ** 48) && v < 2 ** 48).length);
    }
  }
});

/**
 * kafkajs' record-batch decoder (src/protocol/recordBatch/v0/decoder.js) with the same output,
 * made cheaper per record. Profiling `stream` showed kafkajs spending, for every record, a
 * Buffer slice and a Decoder for the record's bytes, and a 64-bit (BigInt) parse, add and
 * print for each of its offset and timestamp: a tenth of the stream's garbage. Here records are
 * read in place from the batch's decoder, and offsets and timestamps are added as numbers while
 * they are exact (below 2^53: every real offset and millisecond timestamp), as kafkajs' Long
 * otherwise.
 *
 * Anything unusual (a record whose length does not match its fields, a value too large for a
 * double) goes through kafkajs' own record decoder, so the output is kafkajs' in every case;
 * the tests compare both on batches kafkajs encodes.
 */
import type { Buffer } from "node:buffer";
import { createRequire } from "node:module";

/** The part of kafkajs' Decoder the record decoder reads with. */
export interface RecordDecoder {
  buffer: Uint8Array;
  offset: number;
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readVarInt(): number;
  readVarLong(): unknown;
  readVarIntBytes(): Uint8Array | null;
  readVarIntArray<T>(reader: (decoder: RecordDecoder) => T): T[];
  readArray<T>(reader: (decoder: RecordDecoder) => T): T[];
  readAll(): Uint8Array;
  slice(length: number): RecordDecoder;
  forward(length: number): void;
}

type DecoderClass = new (buffer: Uint8Array | null) => RecordDecoder;
type Codec = { decompress(buffer: Uint8Array): Promise<Uint8Array> };
type LongValue = { add(value: unknown): { toString(): string } };
type LongClass = { fromValue(value: unknown): LongValue; fromNumber(value: number): unknown };

/** The fields of a record batch every one of its records carries (kafkajs' batchContext). */
export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte?: number;
}

/** A record as kafkajs decodes it. */
export interface DecodedRecord {
  magicByte: number | undefined;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, unknown>;
  isControlRecord: boolean;
  batchContext: BatchContext;
}

const require = createRequire(import.meta.url);
const Decoder: DecoderClass = require("kafkajs/src/protocol/decoder.js");
const Long: LongClass = require("kafkajs/src/utils/long.js");
const { KafkaJSPartialMessageError } = require("kafkajs/src/errors.js");
const { lookupCodecByAttributes } = require("kafkajs/src/protocol/message/compression/index.js");
const TimestampTypes = require("kafkajs/src/protocol/timestampTypes.js");
const decodeHeader: (decoder: RecordDecoder) => { key: string; value: unknown } = require(
  "kafkajs/src/protocol/recordBatch/header/v0/decoder.js",
);
const originalRecordDecoder: (decoder: RecordDecoder, context: BatchContext) => DecodedRecord =
  require("kafkajs/src/protocol/recordBatch/record/v0/decoder.js");

/** kafkajs' own batch decoder, for the equivalence tests. */
export const originalDecodeRecordBatch: (decoder: RecordDecoder) => Promise<unknown> = require(
  "kafkajs/src/protocol/recordBatch/v0/decoder.js",
);

/** kafkajs' Decoder over some bytes (tests). */
export function recordDecoder(bytes: Uint8Array): RecordDecoder {
  return new Decoder(bytes);
}

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;

/** Decodes one record batch from a fetch response, as kafkajs' module does. */
export async function decodeRecordBatch(fetchDecoder: RecordDecoder) {
  const firstOffset = fetchDecoder.readInt64().toString();
  const length = fetchDecoder.readInt32();
  const decoder = fetchDecoder.slice(length);
  fetchDecoder.forward(length);
  const remainingBytes = decoder.buffer.length;
  if (remainingBytes < length) {
    throw new KafkaJSPartialMessageError(
      `Tried to decode a partial record batch: remainingBytes(${remainingBytes}) < ` +
        `recordBatchLength(${length})`,
    );
  }
  const partitionLeaderEpoch = decoder.readInt32();
  const magicByte = decoder.readInt8();
  decoder.readInt32(); // the CRC, which kafkajs does not check either
  const attributes = decoder.readInt16();
  const lastOffsetDelta = decoder.readInt32();
  const firstTimestamp = decoder.readInt64().toString();
  const maxTimestamp = decoder.readInt64().toString();
  const producerId = decoder.readInt64().toString();
  const producerEpoch = decoder.readInt16();
  const firstSequence = decoder.readInt32();
  const recordContext: BatchContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0
      ? TimestampTypes.LOG_APPEND_TIME
      : TimestampTypes.CREATE_TIME,
  };
  const codec: Codec | undefined = lookupCodecByAttributes(attributes);
  const records = await decodeRecords(codec, decoder, { ...recordContext, magicByte });
  return { ...recordContext, records };
}

/** The batch's first offset and timestamp as numbers, where they are exact. */
interface BatchBase {
  offset: number | undefined;
  timestamp: number | undefined;
}

function exactNumber(text: string): number | undefined {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

async function decodeRecords(
  codec: Codec | undefined,
  recordsDecoder: RecordDecoder,
  context: BatchContext,
): Promise<DecodedRecord[]> {
  const base: BatchBase = {
    offset: exactNumber(context.firstOffset),
    timestamp: exactNumber(context.firstTimestamp),
  };
  if (!codec) return recordsDecoder.readArray((decoder) => decodeRecord(decoder, context, base));
  const length = recordsDecoder.readInt32();
  if (length <= 0) return [];
  const decompressed = await codec.decompress(recordsDecoder.readAll());
  const decoder = new Decoder(decompressed);
  const records = new Array<DecodedRecord>(length);
  for (let i = 0; i < length; i++) records[i] = decodeRecord(decoder, context, base);
  return records;
}

/**
 * One length-prefixed record, read in place. A record whose fields do not end within its length
 * goes through kafkajs' decoder over the record's own bytes, which then behaves as kafkajs does:
 * only reads that stayed within the record are kept, so they read what kafkajs reads.
 */
export function decodeRecord(
  decoder: RecordDecoder,
  context: BatchContext,
  base: BatchBase,
): DecodedRecord {
  const before = decoder.offset;
  const length = decoder.readVarInt();
  const start = decoder.offset;
  const end = start + length;
  if (length > 0 && end <= decoder.buffer.length) {
    let record: DecodedRecord | undefined;
    try {
      record = decodeInPlace(decoder, context, base);
    } catch {
      // Read past the record into the next one: kafkajs' decoder says what it makes of it.
    }
    if (record !== undefined && decoder.offset <= end) {
      decoder.offset = end;
      return record;
    }
  }
  decoder.offset = before;
  return originalRecordDecoder(new Decoder(decoder.readVarIntBytes()), context);
}

/** The record's fields from the decoder's offset; undefined where kafkajs' code must read it. */
function decodeInPlace(
  decoder: RecordDecoder,
  context: BatchContext,
  base: BatchBase,
): DecodedRecord | undefined {
  const attributes = decoder.readInt8();
  const timestampDelta = readSmallVarLong(decoder);
  if (timestampDelta === undefined) return undefined;
  let timestamp: string | undefined;
  if (context.timestampType === TimestampTypes.LOG_APPEND_TIME && context.maxTimestamp) {
    timestamp = context.maxTimestamp;
  } else {
    timestamp = timestampText(base.timestamp, timestampDelta);
    if (timestamp === undefined) {
      timestamp = Long.fromValue(context.firstTimestamp).add(Long.fromNumber(timestampDelta))
        .toString();
    }
  }
  const offsetDelta = decoder.readVarInt();
  const offset = sumText(base.offset, offsetDelta) ??
    Long.fromValue(context.firstOffset).add(offsetDelta).toString();
  const keyLength = decoder.readVarInt();
  const keyAt = decoder.offset;
  if (keyLength > 0) decoder.forward(keyLength);
  const valueLength = decoder.readVarInt();
  const valueAt = decoder.offset;
  if (valueLength > 0) decoder.forward(valueLength);
  // A length below -1 is no record kafkajs writes: its own decoder says what it makes of it.
  if (keyLength < -1 || valueLength < -1) return undefined;
  const list = decoder.readVarIntArray(decodeHeader);
  return new InPlaceRecord(
    context.magicByte,
    attributes,
    timestamp,
    offset,
    decoder.buffer,
    keyAt,
    keyLength,
    valueAt,
    valueLength,
    list.length === 0 ? NO_HEADERS : list.reduce(mergeHeader, {}),
    context.isControlBatch,
    context,
  );
}

/**
 * A record whose key and value stay where they lie in the batch's bytes until read: kafkajs'
 * consumer never reads them, and the stream's source takes where they lie instead (see
 * ConsumedMessage), so no view is made for either. Read, each is what kafkajs' decoder gives: a
 * Buffer over those bytes (not a copy), or null.
 */
export class InPlaceRecord implements DecodedRecord {
  constructor(
    readonly magicByte: number | undefined,
    readonly attributes: number,
    readonly timestamp: string,
    readonly offset: string,
    /** The bytes the key and value lie in. */
    readonly bytes: Uint8Array,
    readonly keyAt: number,
    /** -1 for a null key. */
    readonly keyLength: number,
    readonly valueAt: number,
    /** -1 for a null value. */
    readonly valueLength: number,
    readonly headers: Record<string, unknown>,
    readonly isControlRecord: boolean,
    readonly batchContext: BatchContext,
  ) {}

  get key(): Uint8Array | null {
    return this.keyLength < 0 ? null : sliceOf(this.bytes, this.keyAt, this.keyLength);
  }

  get value(): Uint8Array | null {
    return this.valueLength < 0 ? null : sliceOf(this.bytes, this.valueAt, this.valueLength);
  }
}

/** What kafkajs' readVarIntBytes() returns for `length` bytes at `at`: a slice sharing them. */
function sliceOf(bytes: Uint8Array, at: number, length: number): Uint8Array {
  return (bytes as Buffer).slice(at, at + length);
}

/**
 * The headers of a record that has none: one frozen object for all of them, as a fresh `{}` per
 * record would be kept by every message the stream buffers.
 */
const NO_HEADERS: Record<string, unknown> = Object.freeze({});

/** Varint bytes a zigzag value below 2^49 takes at most: exact in a double. */
const SAFE_VARLONG_BYTES = 7;

/**
 * The zigzag varint at the decoder's offset as a number, moving past it; undefined (and not
 * moving) when it is longer than a double holds exactly, or runs past the end.
 */
export function readSmallVarLong(
  decoder: { buffer: Uint8Array; offset: number },
): number | undefined {
  const buffer = decoder.buffer;
  const start = decoder.offset;
  let zigzag = 0;
  let scale = 1;
  for (let i = 0; i < SAFE_VARLONG_BYTES; i++) {
    const byte = buffer[start + i];
    if (byte === undefined) return undefined;
    zigzag += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      decoder.offset = start + i + 1;
      return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    }
    scale *= 0x80;
  }
  return undefined;
}

/** `base + delta` as text while it is exact, as kafkajs' Long would print it. */
function sumText(base: number | undefined, delta: number): string | undefined {
  if (base === undefined) return undefined;
  const sum = base + delta;
  return Number.isSafeInteger(sum) ? String(sum) : undefined;
}

// The last timestamp written as text: records sent together mostly share one millisecond, and
// each record's text lives as long as the record (and the stream's buffered message) does.
let lastTimestamp = NaN;
let lastTimestampText = "";

/** sumText() of a timestamp, the same text as the record before when it is the same instant. */
function timestampText(base: number | undefined, delta: number): string | undefined {
  if (base !== undefined && base + delta === lastTimestamp) return lastTimestampText;
  const text = sumText(base, delta);
  if (text !== undefined) {
    lastTimestamp = base! + delta;
    lastTimestampText = text;
  }
  return text;
}

/** kafkajs' merge of repeated header keys into arrays, as it writes it. */
function mergeHeader(
  headers: Record<string, unknown>,
  { key, value }: { key: string; value: unknown },
): Record<string, unknown> {
  const previous = headers[key];
  return {
    ...headers,
    [key]: previous === undefined
      ? value
      : Array.isArray(previous)
      ? previous.concat([value])
      : [previous, value],
  };
}

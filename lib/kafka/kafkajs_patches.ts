/**
 * Four of kafkajs' internals, made fast under Deno, and its send loop made to never drop a
 * partition on retry (lib/kafka/kafkajs_send.ts); everything else in kafkajs is untouched.
 * Profiling showed them as the costliest steps of produce and stream:
 *
 * - the record encoder writes every varint (about six per message) through a temporary array and
 *   `Buffer.from`, and building that Buffer is slow in Deno's Node compatibility layer: a fifth of
 *   produce's time. `writeUVarInt` and `writeVarLong` below write the same bytes straight into
 *   the encoder's buffer.
 * - the producer groups a send's messages by partition by copying the partition's array for every
 *   message, which is quadratic in the messages per partition: an eighth of produce's time at
 *   1,500 messages a send. `groupMessagesPerPartition` below builds the same groups in one pass.
 * - the record-batch decoder slices and wraps every record, reads its timestamp delta with a
 *   BigInt operation per byte, and adds its offset and timestamp with BigInts: profiling `stream`
 *   showed these among its largest sources of garbage. lib/kafka/kafkajs_records.ts decodes the
 *   same records in place, with numbers.
 * - the record encoder also gives each record a zero-filled Encoder of its own and measures its
 *   key and value twice through Deno's runtime: lib/kafka/kafkajs_record.ts writes the same bytes
 *   into a shared slab (produce's CPU an event 14 % lower).
 *
 * The last three replace a module kafkajs `require`s once, so they have to be in Node's
 * module cache before kafkajs loads: lib/kafka/kafkajs.ts imports this file first, and every other
 * module imports kafkajs from there (a unit test checks that).
 */
import { createRequire } from "node:module";
// deno.json maps this to the same kafkajs version as "kafkajs": the module kafkajs itself uses.
// @ts-types="./kafkajs_patches.d.ts"
import Encoder from "kafkajs/src/protocol/encoder.js";
import { createSendMessages } from "./kafkajs_send.ts";
import { decodeRecordBatch } from "./kafkajs_records.ts";
import { encodeRecord } from "./kafkajs_record.ts";
import { isSafeVarLong, writeUVarIntAt, writeVarLongAt, zigzagLong } from "./varint.ts";

/** The part of kafkajs' Encoder the faster varint uses. */
export interface VarIntEncoder {
  buf: Uint8Array;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): unknown;
  writeVarLong(value: unknown): unknown;
}

/** kafkajs' own implementations, kept for the equivalence tests and for what they handle. */
export const originalWriteUVarInt: (this: VarIntEncoder, value: number) => unknown =
  Encoder.prototype.writeUVarInt;
export const originalWriteVarLong: (this: VarIntEncoder, value: unknown) => unknown =
  Encoder.prototype.writeVarLong;

/** Unsigned LEB128 of the low 32 bits of `value`, as kafkajs writes it, without allocating. */
export function writeUVarInt(this: VarIntEncoder, value: number): VarIntEncoder {
  this.ensureAvailable(5);
  this.offset = writeUVarIntAt(this.buf, this.offset, value);
  return this;
}

/**
 * A zigzag varint of a 64-bit integer, as kafkajs writes it. Numbers (timestamp and offset
 * deltas, which is what records carry) are written in place; a kafkajs Long, or a number too
 * large to zigzag exactly as a double, goes to kafkajs' own code.
 */
export function writeVarLong(this: VarIntEncoder, value: unknown): unknown {
  if (!isSafeVarLong(value)) return originalWriteVarLong.call(this, value);
  this.ensureAvailable(10);
  this.offset = writeVarLongAt(this.buf, this.offset, zigzagLong(value));
  return this;
}

/** A new kafkajs encoder (tests). */
export function newEncoder(): VarIntEncoder & { buffer: Uint8Array } {
  return new Encoder();
}

/** What kafkajs passes to its partition grouping. */
export interface GroupingInput<M> {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly M[];
  partitioner: (
    args: { topic: string; partitionMetadata: readonly unknown[]; message: M },
  ) => number;
}

/** The messages of a send by partition, in their order: what kafkajs' own function returns. */
export function groupMessagesPerPartition<M>(
  { topic, partitionMetadata, messages, partitioner }: GroupingInput<M>,
): Record<number, M[]> {
  const groups: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return groups;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (groups[partition] ??= []).push(message);
  }
  return groups;
}

Encoder.prototype.writeUVarInt = writeUVarInt;
Encoder.prototype.writeVarLong = writeVarLong;
const require = createRequire(import.meta.url);
/** Puts `exports` in Node's module cache as the kafkajs module `path`, before kafkajs loads it. */
function replaceModule(path: string, exports: unknown): void {
  const resolved = require.resolve(path);
  require.cache[resolved] = {
    id: resolved,
    filename: resolved,
    loaded: true,
    exports,
    children: [],
    paths: [],
  } as unknown as NodeJS.Module;
}

replaceModule("kafkajs/src/producer/groupMessagesPerPartition.js", groupMessagesPerPartition);
replaceModule("kafkajs/src/protocol/recordBatch/v0/decoder.js", decodeRecordBatch);
replaceModule("kafkajs/src/protocol/recordBatch/record/v0/index.js", encodeRecord);
// A correctness fix rather than a speed-up: see lib/kafka/kafkajs_send.ts.
replaceModule("kafkajs/src/producer/sendMessages.js", createSendMessages);

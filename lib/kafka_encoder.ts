/**
 * A faster varint for kafkajs' record encoder. kafkajs writes every varint of a record (about six
 * per message) through a temporary array and `Buffer.from`, and under Deno building that Buffer
 * is the costliest step of a send: a fifth of `produce`'s time, profiled. `writeUVarInt` below
 * writes the same bytes straight into the encoder's buffer. lib/kafka.ts installs it once.
 */
// @ts-types="./kafka_encoder.d.ts"
// deno.json maps this to the same kafkajs version as "kafkajs": the module kafkajs itself uses.
import Encoder from "kafkajs/src/protocol/encoder.js";

/** The part of kafkajs' Encoder the faster varint uses. */
export interface VarIntEncoder {
  buf: Uint8Array;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): unknown;
}

/** kafkajs' own implementation, kept for the equivalence test. */
export const originalWriteUVarInt: (this: VarIntEncoder, value: number) => unknown =
  Encoder.prototype.writeUVarInt;

/** Unsigned LEB128 of the low 32 bits of `value`, as kafkajs writes it, without allocating. */
export function writeUVarInt(this: VarIntEncoder, value: number): VarIntEncoder {
  this.ensureAvailable(5);
  const buf = this.buf;
  let offset = this.offset;
  while ((value & 0xffffff80) !== 0) {
    buf[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[offset++] = value & 0x7f;
  this.offset = offset;
  return this;
}

/** Makes every kafkajs encoder use the faster varint. Idempotent. */
export function installFastVarInt(): void {
  Encoder.prototype.writeUVarInt = writeUVarInt;
}

/** A new kafkajs encoder (tests). */
export function newEncoder(): VarIntEncoder & { buffer: Uint8Array } {
  return new Encoder();
}

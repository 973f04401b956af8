/**
 * Kafka's varints as kafkajs writes them, into a byte array at an offset, without allocating:
 * shared by the patched kafkajs Encoder methods (kafkajs_patches.ts) and the record encoder
 * (kafkajs_record.ts).
 */

/** Below this, a zigzag-encoded 64-bit number stays an exact double (2 * 2^51 < 2^53). */
const SAFE_VARLONG = 2 ** 51;

/** Whether a number's 64-bit zigzag is exact as a double (what writeVarLongAt can take). */
export function isSafeVarLong(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && Math.abs(value) < SAFE_VARLONG;
}

/** kafkajs' 32-bit zigzag (its writeVarInt), as an unsigned number. */
export function zigzag(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** The zigzag of a 64-bit integer, exact for |value| < SAFE_VARLONG. */
export function zigzagLong(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Unsigned LEB128 of the low 32 bits of `value` at `at`; returns the offset after it. */
export function writeUVarIntAt(buf: Uint8Array, at: number, value: number): number {
  while ((value & 0xffffff80) !== 0) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value & 0x7f;
  return at;
}

/** Unsigned LEB128 of a zigzagged 64-bit number below 2^53 at `at`; the offset after it. */
export function writeVarLongAt(buf: Uint8Array, at: number, zigzagged: number): number {
  while (zigzagged >= 0x80) {
    buf[at++] = (zigzagged % 0x80) | 0x80;
    zigzagged = Math.floor(zigzagged / 0x80);
  }
  buf[at++] = zigzagged;
  return at;
}

/** How many bytes writeUVarIntAt writes for an unsigned 32-bit value. */
export function uVarIntSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value >>>= 7;
    size++;
  }
  return size;
}

/** How many bytes writeVarLongAt writes for a zigzagged value. */
export function varLongSize(zigzagged: number): number {
  let size = 1;
  while (zigzagged >= 0x80) {
    zigzagged = Math.floor(zigzagged / 0x80);
    size++;
  }
  return size;
}

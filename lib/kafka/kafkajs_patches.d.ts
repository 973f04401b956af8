/** The slice of kafkajs' internal Encoder class that lib/kafkajs_patches.ts touches. */
declare class Encoder {
  buf: Uint8Array;
  offset: number;
  buffer: Uint8Array;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): unknown;
  writeVarLong(value: unknown): unknown;
}
export default Encoder;

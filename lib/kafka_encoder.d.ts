/** The slice of kafkajs' internal Encoder class that lib/kafka_encoder.ts touches. */
declare class Encoder {
  buf: Uint8Array;
  offset: number;
  buffer: Uint8Array;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): unknown;
}
export default Encoder;

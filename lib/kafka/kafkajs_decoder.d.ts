/** The slice of kafkajs' internal Decoder class that lib/kafka/kafkajs_patches.ts touches. */
declare class Decoder {
  constructor(buffer: Uint8Array);
  buffer: Uint8Array;
  offset: number;
  readVarLong(): unknown;
}
export default Decoder;

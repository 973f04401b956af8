/** kafkajs' 64-bit integer (a BigInt inside), as lib/kafka/kafkajs_patches.ts makes one. */
declare class Long {
  value: bigint;
  static fromNumber(value: number): Long;
  toString(): string;
}
export default Long;

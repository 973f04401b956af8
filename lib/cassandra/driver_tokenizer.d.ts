/** The Murmur3 part of cassandra-driver's lib/tokenizer.js (the default partitioner's tokens). */
export declare class Murmur3Tokenizer {
  /** The token of a routing key (a partition key's bytes). */
  hash(value: Uint8Array): { compare(other: unknown): number; toString(): string };
}

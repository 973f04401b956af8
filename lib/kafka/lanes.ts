/**
 * Parallel idempotent sends that keep Kafka's guarantees. kafkajs serializes an idempotent
 * producer's requests to a broker (one lock per broker, so sequence numbers stay in order), which
 * leaves the client idle while the broker appends. Several producers, each the only writer of its
 * own share of the partitions (partition p belongs to lane p mod lanes), overlap those waits: a
 * partition still has one writer sending one request at a time, so per-key order and the broker's
 * duplicate detection hold exactly as with a single producer.
 */
import { CompressionTypes, type Message, Partitioners, type Producer } from "./kafkajs.ts";
import type { KafkaClient } from "./client.ts";

/** Producers that each own a share of one topic's partitions. */
export class Lanes {
  readonly #partitioner = Partitioners.DefaultPartitioner();
  /** Partition by key: hashing is the costliest step per message, and people repeat. */
  readonly #byKey = new Map<string, number>();
  readonly #metadata: { partitionId: number; leader: number }[];

  private constructor(
    readonly topic: string,
    readonly producers: readonly Producer[],
    partitions: number,
  ) {
    // Keyed messages hash over every partition (murmur2, as the Java client does).
    this.#metadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
    }));
  }

  /** Opens `lanes` idempotent producers (at most one per partition) for `topic`. */
  static async open(kafka: KafkaClient, topic: string, lanes: number): Promise<Lanes> {
    const partitions = (await kafka.partitionCounts([topic])).get(topic) ?? 1;
    const producers: Producer[] = [];
    for (let i = 0; i < Math.max(1, Math.min(lanes, partitions)); i++) {
      producers.push(
        await kafka.producer({
          allowAutoTopicCreation: false,
          idempotent: true,
          maxInFlightRequests: 1,
        }),
      );
    }
    return new Lanes(topic, producers, partitions);
  }

  /** The partition a keyed message goes to: the same one kafkajs' and Java's partitioner pick. */
  partitionOf(message: Message): number {
    const key = typeof message.key === "string" ? message.key : undefined;
    const known = key === undefined ? undefined : this.#byKey.get(key);
    if (known !== undefined) return known;
    const partition = this.#partitioner({
      topic: this.topic,
      partitionMetadata: this.#metadata as never,
      message,
    });
    if (key !== undefined && this.#byKey.size < 100_000) this.#byKey.set(key, partition);
    return partition;
  }

  /** Sends messages through one lane: gzip, acknowledged by all in-sync replicas. */
  async send(lane: number, messages: Message[]): Promise<void> {
    await this.producers[lane].send({
      topic: this.topic,
      messages,
      acks: -1,
      compression: CompressionTypes.GZIP,
    });
  }

  /** Splits items by lane, in order, each message given its partition explicitly. */
  split<T extends { message: Message }>(items: readonly T[]): T[][] {
    const lanes: T[][] = this.producers.map(() => []);
    for (const item of items) {
      const partition = this.partitionOf(item.message);
      item.message.partition = partition;
      lanes[partition % this.producers.length].push(item);
    }
    return lanes;
  }
}

/** What the sender needs of the lanes: how a batch splits between them. */
export interface Splitter {
  split<T extends { message: Message }>(items: readonly T[]): T[][];
}

/**
 * Sends batches through the lanes with one batch in flight while the caller makes the next; a
 * batch starts only once the previous one is acknowledged, so each partition still has one
 * request at a time. A failed share is reported by the next `send` or `settle`.
 */
export class PipelinedSender<T extends { message: Message }> {
  #inFlight: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;

  constructor(
    readonly lanes: Splitter,
    /** Sends one lane's share (retrying as the caller sees fit); rejects if it gives up. */
    readonly sendShare: (lane: number, share: T[]) => Promise<void>,
  ) {}

  /** Waits for the batch in flight; throws the first failure of any batch. */
  async settle(): Promise<void> {
    await this.#inFlight;
    if (this.#failure) throw this.#failure.error;
  }

  /** Waits for the batch in flight, then starts this one; returns once it is under way. */
  async send(items: readonly T[]): Promise<void> {
    await this.settle();
    const shares = this.lanes.split(items);
    this.#inFlight = Promise.allSettled(
      shares.map((share, lane) => share.length === 0 ? undefined : this.sendShare(lane, share)),
    ).then((settled) => {
      const failed = settled.find((outcome) => outcome.status === "rejected");
      if (failed) this.#failure ??= { error: (failed as PromiseRejectedResult).reason };
    });
  }
}

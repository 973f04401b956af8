/**
 * Commits a partition's progress and its dead letters in one Kafka transaction (`sendOffsets`),
 * after the rows are in Cassandra. Each source partition has its own transactional id, so the
 * member that takes a partition over fences out the one that had it (an open transaction of a
 * crashed or stalled owner is aborted, a late commit of it is refused) and only then reads where
 * the partition stands: no dead letter is ever committed twice.
 */
import type { Message, Producer } from "../kafka/kafkajs.ts";
import type { KafkaClient } from "../kafka/client.ts";
import { hasKafkaErrorType, PermanentFailure } from "../core/retry.ts";
import { chunkDeadLetters, type DeadLetter, fitDeadLetter } from "./dead_letters.ts";

/** Commits a partition's batch; the engine only sees this. */
export interface Committer {
  /**
   * Takes exactly these partitions over: lets go of the ones no longer held, fences the earlier
   * owners of the new ones, and returns the group's committed offsets.
   */
  claim(partitions: readonly number[]): Promise<Map<number, number>>;
  /**
   * Takes one held partition back after its commit was fenced (by a member whose assignment was
   * out of date, or by this member's own recovery): fences the other owner again and returns the
   * group's committed offsets.
   */
  retake(partition: number): Promise<Map<number, number>>;
  /** Sends the dead letters and commits `next` for the partition, atomically. */
  commit(partition: number, next: number, letters: readonly DeadLetter[]): Promise<void>;
  /** The group's committed offsets of every partition (-1 where none). */
  committedOffsets(): Promise<Map<number, number>>;
  close(): Promise<void>;
}

/** Another member owns the partition now; its batch is theirs to redo (never retried here). */
export class PartitionLost extends PermanentFailure {
  constructor(readonly partition: number, options?: ErrorOptions) {
    super(
      `Partition ${partition} was taken over by another member of the group`,
      undefined,
      options,
    );
  }
}

/** Whether kafkajs says this producer was fenced out by a newer one with the same id. */
export function isFenced(error: unknown): boolean {
  return hasKafkaErrorType(error, FENCED);
}

const FENCED = new Set(["PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"]);
/** The coordinator is still finishing this id's previous transaction (its markers). */
const CONCURRENT_TRANSACTIONS = new Set(["CONCURRENT_TRANSACTIONS"]);

/** Waits after CONCURRENT_TRANSACTIONS, about 0.6 s in all, before the caller's retry sees it. */
const CONCURRENT_TRANSACTION_WAITS_MS = [20, 40, 80, 160, 320];

/**
 * Runs a step of a transaction again while the previous transaction's markers are still being
 * written, as the Java producer does: kafkajs retries this for produced partitions but not for
 * the offsets step, and the wait is a matter of milliseconds, not worth a warning.
 */
export async function pastConcurrentTransaction<T>(
  step: () => Promise<T>,
  waits: readonly number[] = CONCURRENT_TRANSACTION_WAITS_MS,
): Promise<T> {
  for (const wait of waits) {
    try {
      return await step();
    } catch (error) {
      if (!hasKafkaErrorType(error, CONCURRENT_TRANSACTIONS)) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return await step();
}

/** Settings of the transactional committer. */
export interface CommitterSettings {
  topic: string;
  dlqTopic: string;
  group: string;
  /** The DLQ topic's max.message.bytes. */
  maxMessageBytes: number;
  /** How long the broker lets a transaction stay open before aborting it. */
  transactionTimeoutMs: number;
}

/** What every transactional id of a group's stream on a topic starts with. */
export function transactionalIdPrefix(settings: Pick<CommitterSettings, "group" | "topic">) {
  return `reviews.${settings.group}.${settings.topic}.`;
}

/** The transactional id of a source partition's producer within a group. */
export function transactionalId(settings: Pick<CommitterSettings, "group" | "topic">, p: number) {
  return `${transactionalIdPrefix(settings)}${p}`;
}

/** The Kafka adapter of Committer. */
export class TransactionalCommitter implements Committer {
  readonly #producers = new Map<number, Promise<Producer>>();
  /** The partitions of the last claim: only these may open a producer. */
  #held = new Set<number>();
  /** Commits under way per partition, so a producer let go is closed only after its commit. */
  readonly #committing = new Map<number, Promise<unknown>>();

  constructor(readonly kafka: KafkaClient, readonly settings: CommitterSettings) {}

  async claim(partitions: readonly number[]): Promise<Map<number, number>> {
    // A producer kept for a partition held earlier was fenced by its next owner: never reuse it.
    this.#held = new Set(partitions);
    for (const partition of [...this.#producers.keys()]) {
      if (!this.#held.has(partition)) this.#forget(partition);
    }
    await Promise.all(partitions.map((partition) => this.#producer(partition)));
    return await this.committedOffsets();
  }

  async retake(partition: number): Promise<Map<number, number>> {
    if (!this.#held.has(partition)) throw new PartitionLost(partition);
    this.#forget(partition);
    await this.#producer(partition);
    return await this.committedOffsets();
  }

  commit(partition: number, next: number, letters: readonly DeadLetter[]): Promise<void> {
    const commit = this.#commit(partition, next, letters);
    const settled = commit.catch(() => {});
    this.#committing.set(partition, settled);
    settled.then(() => {
      if (this.#committing.get(partition) === settled) this.#committing.delete(partition);
    });
    return commit;
  }

  async #commit(partition: number, next: number, letters: readonly DeadLetter[]): Promise<void> {
    const { topic, dlqTopic, group, maxMessageBytes } = this.settings;
    if (!this.#held.has(partition)) throw new PartitionLost(partition);
    const producer = await this.#producer(partition);
    const transaction = await producer.transaction();
    try {
      const fitted = letters.map((letter) => fitDeadLetter(letter, maxMessageBytes));
      for (const chunk of chunkDeadLetters(fitted, maxMessageBytes)) {
        await transaction.send({ topic: dlqTopic, acks: -1, messages: chunk.map(toMessage) });
      }
      await pastConcurrentTransaction(() =>
        transaction.sendOffsets({
          consumerGroupId: group,
          topics: [{ topic, partitions: [{ partition, offset: String(next) }] }],
        })
      );
      await transaction.commit();
    } catch (error) {
      if (transaction.isActive()) await transaction.abort().catch(() => {});
      if (isFenced(error)) {
        this.#forget(partition);
        throw new PartitionLost(partition, { cause: error });
      }
      // The outcome of a failed commit is unknown: a new producer with the same id completes
      // or aborts it, and the committed offset then says which. Only while the partition is
      // still held: a new producer would fence the member that holds it now.
      this.#forget(partition);
      if (!this.#held.has(partition)) throw new PartitionLost(partition, { cause: error });
      try {
        await this.#producer(partition);
        if (((await this.committedOffsets()).get(partition) ?? -1) >= next) return;
      } catch {
        // Reported through the original error.
      }
      throw error;
    }
  }

  async committedOffsets(): Promise<Map<number, number>> {
    const admin = await this.kafka.admin();
    const [entry] = await admin.fetchOffsets({
      groupId: this.settings.group,
      topics: [this.settings.topic],
    });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  async close(): Promise<void> {
    const producers = [...this.#producers.values()];
    this.#producers.clear();
    await Promise.allSettled(producers.map(async (p) => (await p).disconnect()));
  }

  #producer(partition: number): Promise<Producer> {
    let producer = this.#producers.get(partition);
    if (producer === undefined) {
      producer = this.#open(partition);
      this.#producers.set(partition, producer);
      producer.catch(() => this.#producers.delete(partition));
    }
    return producer;
  }

  async #open(partition: number): Promise<Producer> {
    const producer = await this.kafka.producer({
      transactionalId: transactionalId(this.settings, partition),
      transactionTimeout: this.settings.transactionTimeoutMs,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    // The first transaction registers the id with its coordinator, which bumps the epoch: any
    // earlier producer of this partition is fenced and its open transaction ends now.
    const first = await producer.transaction();
    await first.commit();
    return producer;
  }

  /** Lets a partition's producer go, closing it once a commit under way with it has ended. */
  #forget(partition: number): void {
    const producer = this.#producers.get(partition);
    if (producer === undefined) return;
    this.#producers.delete(partition);
    const committing = this.#committing.get(partition) ?? Promise.resolve();
    committing.then(() => producer).then((p) => p.disconnect()).catch(() => {});
  }
}

function toMessage(letter: DeadLetter): Message {
  return {
    key: letter.key === null ? null : asBuffer(letter.key),
    value: letter.value === null ? null : asBuffer(letter.value),
    headers: letter.headers,
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

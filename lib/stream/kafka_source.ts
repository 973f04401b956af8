/**
 * The Kafka side of the stream: a consumer-group member that fills the micro-batch buffer,
 * keeps the ledger's assignment and end offsets current, and pauses fetching while the buffer
 * is full. It never commits: the committer does, after Cassandra has the rows.
 */
import type { Consumer, KafkaMessage } from "../kafka/kafkajs.ts";
import { InPlaceRecord } from "../kafka/kafkajs_records.ts";
import { messageOf } from "../core/errors.ts";
import type { KafkaClient } from "../kafka/client.ts";
import type { Logger } from "../core/log.ts";
import type { Stopper } from "../core/signals.ts";
import type { MicroBatchBuffer, SourceMessage } from "./buffer.ts";
import type { AssignmentChange, PartitionLedger } from "./ledger.ts";

/** Settings of the consumer. */
export interface SourceSettings {
  topic: string;
  group: string;
  sessionTimeoutMs: number;
}

/** How often a fetch loop held back by a full buffer checks in (kafkajs heartbeats when due). */
const HEARTBEAT_CHECK_MS = 500;

/**
 * A consumed message as the buffer holds it: where its key and value lie in the fetched bytes,
 * not views of them. A view is an object of its own, as large as the message's others together,
 * and a buffered message lives through several young-generation collections, each of which
 * copies what is alive; these views are made when read instead (a dead letter reads them; the
 * transform reads the value where it lies) and die young.
 */
export class ConsumedMessage implements SourceMessage {
  constructor(
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: string,
    readonly headers: SourceMessage["headers"],
    /** The bytes the key lies in (undefined for a null key), where, and how many. */
    readonly keyChunk: Uint8Array | undefined,
    readonly keyAt: number,
    readonly keyLength: number,
    /** The bytes the value lies in (undefined for a null value), shared by other messages. */
    readonly chunk: Uint8Array | undefined,
    readonly valueAt: number,
    readonly valueLength: number,
  ) {}

  /** A message of its key and value as views. */
  static of(
    partition: number,
    offset: number,
    key: Uint8Array | null,
    value: Uint8Array | null,
    timestamp: string,
    headers: SourceMessage["headers"],
  ): ConsumedMessage {
    return new ConsumedMessage(
      partition,
      offset,
      timestamp,
      headers,
      key === null ? undefined : wholeOf(key.buffer),
      key?.byteOffset ?? 0,
      key?.length ?? 0,
      value === null ? undefined : wholeOf(value.buffer),
      value?.byteOffset ?? 0,
      value?.length ?? 0,
    );
  }

  /** A message of a record kafkajs handed over, without reading its key or value. */
  static ofRecord(partition: number, record: KafkaMessage): ConsumedMessage {
    const offset = Number(record.offset);
    const headers = record.headers as SourceMessage["headers"];
    if (!(record instanceof InPlaceRecord)) {
      return ConsumedMessage.of(
        partition,
        offset,
        record.key,
        record.value,
        record.timestamp,
        headers,
      );
    }
    const { bytes } = record;
    return new ConsumedMessage(
      partition,
      offset,
      record.timestamp,
      headers,
      record.keyLength < 0 ? undefined : bytes,
      record.keyAt,
      Math.max(0, record.keyLength),
      record.valueLength < 0 ? undefined : bytes,
      record.valueAt,
      Math.max(0, record.valueLength),
    );
  }

  get key(): Uint8Array | null {
    return viewOf(this.keyChunk, this.keyAt, this.keyLength);
  }

  get value(): Uint8Array | null {
    return viewOf(this.chunk, this.valueAt, this.valueLength);
  }

  get size(): number {
    return this.keyLength + this.valueLength;
  }
}

/** `length` bytes at `at` of `chunk`, or null where there were none (a null key or value). */
function viewOf(chunk: Uint8Array | undefined, at: number, length: number): Uint8Array | null {
  return chunk === undefined ? null : new Uint8Array(chunk.buffer, chunk.byteOffset + at, length);
}

/** The last bytes wholeOf() was asked for, and their view: a fetch's messages share them. */
let lastBytes: ArrayBufferLike | undefined;
let lastWhole: Uint8Array = new Uint8Array(0);

/** A view of all of `bytes`, the same one for the messages that follow in the same bytes. */
function wholeOf(bytes: ArrayBufferLike): Uint8Array {
  if (bytes !== lastBytes) {
    lastWhole = new Uint8Array(bytes);
    lastBytes = bytes;
  }
  return lastWhole;
}

/** A consumer-group member feeding a buffer. */
export class KafkaSource {
  #consumer?: Consumer;
  /** A failure the consumer will not recover from by itself. */
  failure: unknown;
  /** Called on every new assignment, after the buffer dropped revoked partitions. */
  onAssign: (change: AssignmentChange) => void = () => {};

  constructor(
    readonly kafka: KafkaClient,
    readonly settings: SourceSettings,
    readonly buffer: MicroBatchBuffer,
    readonly ledger: PartitionLedger,
    readonly logger: Logger,
    readonly stopper: Stopper,
  ) {}

  /** Joins the group and starts fetching. */
  async start(): Promise<void> {
    const { topic, group, sessionTimeoutMs } = this.settings;
    const consumer = await this.kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      // How long the broker holds a fetch that finds nothing new. Leaving the group waits for the
      // fetch in flight, so this is also what stopping waits for at the end of a drain.
      maxWaitTimeInMs: 100,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
      // One fetch holds at most this much: memory stays near the buffer's bound.
      maxBytes: 512 * 1024,
      maxBytesPerPartition: 128 * 1024,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const change = this.ledger.assign(payload.memberAssignment[topic] ?? []);
      this.buffer.retain(new Set(this.ledger.owned));
      // A partition paused after it was lost elsewhere fetches again once assigned anew.
      consumer.resume([{ topic, partitions: this.ledger.owned }]);
      const list = this.ledger.owned.join(", ") || "none";
      this.logger.info(`Joined group ${group}: partitions ${list} of ${topic}`);
      this.onAssign(change);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) {
        this.logger.warn(`Kafka consumer restarting after: ${messageOf(payload.error)}`);
      } else {
        this.failure = payload.error;
        this.stopper.stop();
      }
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        this.ledger.latest(batch.partition, Number(batch.highWatermark));
        if (!this.ledger.owns(batch.partition)) {
          // Fenced out by the member that took it over: stop fetching it until the rebalance.
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          return;
        }
        // Offsets are resolved once per fetched batch, up to the last message kept. Stopping or
        // a seek can only come between turns of the event loop, so one check covers the batch
        // (kafkajs' isStale() builds a JSON key per call).
        if (!isRunning() || isStale()) return;
        let last: string | undefined;
        for (const message of batch.messages) {
          this.buffer.append(ConsumedMessage.ofRecord(batch.partition, message));
          last = message.offset;
        }
        if (last !== undefined) resolveOffset(last);
        // Back-pressure: hold the fetch loop while a full batch waits, heartbeating meanwhile,
        // and fetch again as soon as the engine takes the batch.
        while (this.buffer.full && isRunning() && !isStale() && !this.stopper.stopped) {
          await heartbeat();
          await this.#roomOrTimeout(HEARTBEAT_CHECK_MS);
        }
      },
    });
  }

  /**
   * Waits until the buffer has room, the stream stops, or `ms` pass; each wait is over within
   * `ms`, so a long outage with the buffer full keeps nothing of the waits before.
   */
  async #roomOrTimeout(ms: number): Promise<void> {
    await Promise.race([this.buffer.whenRoom(ms), this.stopper.sleep(ms)]);
  }

  /** Reads a partition again from an offset, from the next fetch on. */
  seek(partition: number, offset: number): void {
    this.#consumer?.seek({ topic: this.settings.topic, partition, offset: String(offset) });
  }

  /** Stops fetching but stays in the group, so the batch in hand can still commit. */
  pause(): void {
    this.#consumer?.pause([{ topic: this.settings.topic }]);
  }

  /** Leaves the group. */
  async close(): Promise<void> {
    await this.#consumer?.disconnect().catch(() => {});
  }
}

import { Waiters } from "../core/waiters.ts";

/** A consumed message, as the stream holds it until its micro-batch is written and committed. */
export interface SourceMessage {
  partition: number;
  offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** The broker's timestamp, milliseconds since the epoch, as a string (as Kafka gives it). */
  timestamp: string;
  headers?: Record<string, string | Uint8Array | (string | Uint8Array)[] | undefined>;
  /** The bytes of its key and value, where the message knows it without reading them. */
  readonly size?: number;
  /**
   * The bytes its value lies in, shared with other messages, and where in them, when the source
   * keeps it so: the transform reads it there, without a view of its own.
   */
  readonly chunk?: Uint8Array;
  readonly valueAt?: number;
  readonly valueLength?: number;
}

/** What one message costs in memory besides its bytes (objects, offsets, headers). */
const MESSAGE_OVERHEAD_BYTES = 200;

/** The memory a message is counted at in the buffer's byte bound. */
export function messageBytes(message: SourceMessage): number {
  const size = message.size ?? (message.key?.length ?? 0) + (message.value?.length ?? 0);
  return size + MESSAGE_OVERHEAD_BYTES;
}

/**
 * Messages waiting for their micro-batch, in arrival order per partition. Bounded by a count and
 * a byte size: the source stops fetching while it is full, so memory follows `--max-batch`, not
 * the backlog.
 */
export class MicroBatchBuffer {
  readonly #byPartition = new Map<number, SourceMessage[]>();
  /** Highest offset ever appended per partition, so a re-fetch after a rejoin is not doubled. */
  readonly #last = new Map<number, number>();
  #count = 0;
  #bytes = 0;
  /** Messages taken with `hold` and not yet released: still counted against the bound. */
  #heldCount = 0;
  #heldBytes = 0;
  /** Who waits for room, and for a full buffer (each forgotten once it stops waiting). */
  readonly #roomWaiters = new Waiters();
  readonly #fullWaiters = new Waiters();

  constructor(readonly maxMessages: number, readonly maxBytes: number) {}

  /** Messages held. */
  get size(): number {
    return this.#count;
  }

  /** Bytes held, as counted by messageBytes(). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the buffer holds a full batch (by count or bytes): fetching should pause. */
  get full(): boolean {
    return this.#count + this.#heldCount >= this.maxMessages ||
      this.#bytes + this.#heldBytes >= this.maxBytes;
  }

  /**
   * Resolves once the buffer is not full (at once if it is not), or after `ms`: the source may
   * fetch again.
   */
  whenRoom(ms?: number): Promise<void> {
    if (!this.full) return Promise.resolve();
    return this.#roomWaiters.wait({ ms });
  }

  /**
   * Resolves true once the buffer is full (at once if it is), false if `until` settles first: a
   * whole batch can be taken.
   */
  async fullBefore(until: Promise<unknown>): Promise<boolean> {
    if (this.full) return true;
    await this.#fullWaiters.wait({ until });
    return this.full;
  }

  /** Wakes the whenRoom() waiters if messages left and the buffer is no longer full. */
  #roomMade(): void {
    if (!this.full) this.#roomWaiters.wakeAll();
  }

  /** Appends a message unless this partition already passed its offset; says if it was kept. */
  append(message: SourceMessage): boolean {
    if (message.offset <= (this.#last.get(message.partition) ?? -1)) return false;
    this.#last.set(message.partition, message.offset);
    let queue = this.#byPartition.get(message.partition);
    if (queue === undefined) this.#byPartition.set(message.partition, queue = []);
    queue.push(message);
    this.#count++;
    this.#bytes += messageBytes(message);
    if (this.full) this.#fullWaiters.wakeAll();
    return true;
  }

  /** The offset after the last message appended for a partition (what the source has read). */
  readThrough(partition: number): number | undefined {
    const last = this.#last.get(partition);
    return last === undefined ? undefined : last + 1;
  }

  /**
   * Takes up to `max` messages (and about `maxBytes`) from the given partitions, fairly: each
   * partition in turn gives its oldest message, so one busy partition cannot starve the others.
   * With `hold`, the messages taken still count against the buffer's bound until release(): a
   * batch taken ahead of its turn keeps the source from fetching yet another batch meanwhile.
   */
  take(
    max: number,
    partitions: Iterable<number>,
    { maxBytes = Infinity, hold = false }: { maxBytes?: number; hold?: boolean } = {},
  ): SourceMessage[] {
    const queues = [...partitions].map((p) => this.#byPartition.get(p)).filter((q) =>
      q !== undefined && q.length > 0
    ) as SourceMessage[][];
    const counts = queues.map(() => 0);
    let taken = 0;
    let bytes = 0;
    let progressed = true;
    while (taken < max && bytes < maxBytes && progressed) {
      progressed = false;
      for (let i = 0; i < queues.length && taken < max && bytes < maxBytes; i++) {
        if (counts[i] < queues[i].length) {
          bytes += messageBytes(queues[i][counts[i]]);
          counts[i]++;
          taken++;
          progressed = true;
        }
      }
    }
    const out: SourceMessage[] = [];
    queues.forEach((queue, i) => out.push(...queue.splice(0, counts[i])));
    const outBytes = out.reduce((sum, message) => sum + messageBytes(message), 0);
    this.#count -= out.length;
    this.#bytes -= outBytes;
    if (hold) {
      this.#heldCount += out.length;
      this.#heldBytes += outBytes;
    }
    this.#roomMade();
    return out;
  }

  /** Stops counting messages taken with `hold` against the bound (their batch's turn came). */
  release(messages: readonly SourceMessage[]): void {
    this.#heldCount -= messages.length;
    this.#heldBytes -= messages.reduce((sum, message) => sum + messageBytes(message), 0);
    this.#roomMade();
  }

  /** Forgets every partition not in `keep` (revoked ones: their next owner reads them again). */
  retain(keep: ReadonlySet<number>): void {
    for (const partition of [...this.#byPartition.keys(), ...this.#last.keys()]) {
      if (!keep.has(partition)) this.forget(partition);
    }
  }

  /** Forgets one partition entirely. */
  forget(partition: number): void {
    for (const message of this.#byPartition.get(partition) ?? []) {
      this.#count--;
      this.#bytes -= messageBytes(message);
    }
    this.#byPartition.delete(partition);
    this.#last.delete(partition);
    this.#roomMade();
  }

  /** Drops a partition's messages below `offset` (already committed, by anyone). */
  dropBelow(partition: number, offset: number): void {
    const queue = this.#byPartition.get(partition);
    if (queue === undefined) return;
    const keep = queue.filter((message) => message.offset >= offset);
    for (const message of queue) {
      if (message.offset < offset) {
        this.#count--;
        this.#bytes -= messageBytes(message);
      }
    }
    this.#byPartition.set(partition, keep);
    this.#roomMade();
  }

  /** How many messages a partition has waiting. */
  waiting(partition: number): number {
    return this.#byPartition.get(partition)?.length ?? 0;
  }
}

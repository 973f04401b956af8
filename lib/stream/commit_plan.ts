/**
 * What one commit sends when it covers several written batches. While batches run back to back
 * (a backlog), a batch with no dead letters may leave its commit to a later batch's (the engine's
 * commit interval), as Kafka Streams commits every `commit.interval.ms` rather than per record
 * batch: a Kafka transaction costs the broker and the stream several milliseconds each, one per
 * partition. The later commit then moves each partition past every batch it covers, with their
 * dead letters, in one transaction per partition. Pure.
 */
import type { DeadLetter } from "./dead_letters.ts";

/** What the plan reads of a written batch. */
export interface CommittableBatch {
  /** Per partition, the offset to commit: one past the batch's last message there. */
  next: ReadonlyMap<number, number>;
  deadLetters: ReadonlyMap<number, readonly DeadLetter[]>;
  /** Per partition, how often its commit had been fenced when the batch was taken. */
  epochs: ReadonlyMap<number, number>;
}

/** One partition's share of a commit. */
export interface PartitionCommit {
  next: number;
  letters: DeadLetter[];
  /** The batches it covers (their messages of this partition are committed with it). */
  batches: number[];
}

/**
 * Per partition, the furthest offset of the batches (in the order written) still valid for it,
 * and their dead letters in order. A batch taken before the partition's commit was last fenced
 * (its epoch then differs from `epochOf`) is not valid there: its messages are read again.
 */
export function planCommit(
  batches: readonly CommittableBatch[],
  epochOf: (partition: number) => number,
): Map<number, PartitionCommit> {
  const plan = new Map<number, PartitionCommit>();
  batches.forEach((batch, index) => {
    for (const [partition, next] of batch.next) {
      if (batch.epochs.get(partition) !== epochOf(partition)) continue;
      let part = plan.get(partition);
      if (part === undefined) plan.set(partition, part = { next, letters: [], batches: [] });
      part.next = Math.max(part.next, next);
      part.letters.push(...(batch.deadLetters.get(partition) ?? []));
      part.batches.push(index);
    }
  });
  return plan;
}

/** Whether a batch holds any dead letter (such a batch commits at once, never later). */
export function hasDeadLetters(batch: Pick<CommittableBatch, "deadLetters">): boolean {
  for (const letters of batch.deadLetters.values()) if (letters.length > 0) return true;
  return false;
}

/**
 * Where every partition of the topic stands for this stream: which ones this member owns (and
 * which of those are ready, their transactional producer fenced in and committed offset re-read),
 * the group's committed positions, the end offsets seen, and the targets of `--available-now`.
 * Pure bookkeeping: the Kafka adapter feeds it, the engine asks it questions.
 */

/** One partition's standing, for messages and progress lines. */
export interface PartitionStanding {
  partition: number;
  committed: number;
  target: number;
  latest: number;
  lag: number;
  owned: boolean;
}

/** What a new assignment changed. */
export interface AssignmentChange {
  added: number[];
  revoked: number[];
}

/** The state of the topic's partitions for one stream member. */
export class PartitionLedger {
  readonly #committed = new Map<number, number>();
  readonly #latest = new Map<number, number>();
  readonly #targets: ReadonlyMap<number, number>;
  #owned = new Set<number>();
  readonly #ready = new Set<number>();
  #joined = false;

  /**
   * `starts` are the earliest offsets (where a partition with no commit starts), `ends` the end
   * offsets at start: the targets of `--available-now`.
   */
  constructor(starts: ReadonlyMap<number, number>, ends: ReadonlyMap<number, number>) {
    for (const [partition, start] of starts) this.#committed.set(partition, start);
    this.#targets = new Map(ends);
    for (const [partition, end] of ends) this.#latest.set(partition, end);
  }

  /** Every partition of the topic. */
  get partitions(): number[] {
    return [...this.#targets.keys()].sort((a, b) => a - b);
  }

  /** Whether the group has given this member an assignment yet (possibly empty). */
  get joined(): boolean {
    return this.#joined;
  }

  /** Partitions this member owns, sorted. */
  get owned(): number[] {
    return [...this.#owned].sort((a, b) => a - b);
  }

  /** Owned partitions whose producer is fenced in and whose position is fresh. */
  get ready(): number[] {
    return this.owned.filter((partition) => this.#ready.has(partition));
  }

  /** Records a new assignment from the group; every owned partition starts not ready. */
  assign(partitions: Iterable<number>): AssignmentChange {
    const next = new Set(partitions);
    const added = [...next].filter((p) => !this.#owned.has(p)).sort((a, b) => a - b);
    const revoked = [...this.#owned].filter((p) => !next.has(p)).sort((a, b) => a - b);
    this.#owned = next;
    this.#ready.clear();
    this.#joined = true;
    return { added, revoked };
  }

  /** Marks an owned partition ready to be batched and committed. */
  markReady(partition: number): void {
    if (this.#owned.has(partition)) this.#ready.add(partition);
  }

  /** Holds an owned partition back from batching until it is marked ready again. */
  hold(partition: number): void {
    this.#ready.delete(partition);
  }

  /** Drops one partition (its producer was fenced: another member owns it now). */
  lose(partition: number): void {
    this.#owned.delete(partition);
    this.#ready.delete(partition);
  }

  /** Whether this member owns a partition (ready or not). */
  owns(partition: number): boolean {
    return this.#owned.has(partition);
  }

  /** Whether this member owns and may batch a partition. */
  isReady(partition: number): boolean {
    return this.#ready.has(partition);
  }

  /** Records a committed offset (ours or the group's); positions only move forward. */
  committed(partition: number, offset: number): void {
    if (offset > (this.#committed.get(partition) ?? -1)) this.#committed.set(partition, offset);
  }

  /** The group's committed position of a partition (its earliest offset when none). */
  position(partition: number): number {
    return this.#committed.get(partition) ?? 0;
  }

  /** Records the newest end offset the source has seen for a partition. */
  latest(partition: number, offset: number): void {
    if (offset > (this.#latest.get(partition) ?? -1)) this.#latest.set(partition, offset);
  }

  /** Messages not yet committed, over the partitions given (default: all). */
  lag(partitions: Iterable<number> = this.#targets.keys()): number {
    let sum = 0;
    for (const p of partitions) sum += Math.max(0, (this.#latest.get(p) ?? 0) - this.position(p));
    return sum;
  }

  /** `--available-now` is done: every partition of the topic is committed up to its target. */
  get drained(): boolean {
    return this.remaining().length === 0;
  }

  /** Partitions still short of their target. */
  remaining(): PartitionStanding[] {
    return this.standings().filter((standing) => standing.committed < standing.target);
  }

  /** Every partition's standing. */
  standings(): PartitionStanding[] {
    return this.partitions.map((partition) => {
      const committed = this.position(partition);
      const latest = this.#latest.get(partition) ?? 0;
      return {
        partition,
        committed,
        target: this.#targets.get(partition) ?? 0,
        latest,
        lag: Math.max(0, latest - committed),
        owned: this.#owned.has(partition),
      };
    });
  }

  /**
   * Whether the buffered messages reach every owned partition's target (with `readThrough`, the
   * offset after the last message read per partition): `--available-now` need not wait for the
   * interval to take its last batch.
   */
  readsReachTargets(readThrough: (partition: number) => number | undefined): boolean {
    return this.owned.every((p) => {
      const target = this.#targets.get(p) ?? 0;
      return this.position(p) >= target || (readThrough(p) ?? 0) >= target;
    });
  }
}

/** "partition 0 (lag 120), partition 2 (lag 3)": standings for a message. */
export function describeStandings(standings: readonly PartitionStanding[]): string {
  return standings.map((s) =>
    `partition ${s.partition} at ${s.committed} of ${s.target} (lag ${s.target - s.committed}` +
    `${s.owned ? ", here" : ", held elsewhere"})`
  ).join(", ");
}

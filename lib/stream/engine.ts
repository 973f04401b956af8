/**
 * The micro-batch loop: on each trigger, take what the buffer holds for ready partitions,
 * transform it, write the rows (retrying what waiting can fix), then commit each partition with
 * its dead letters. While batches run back to back, a batch without dead letters may leave its
 * commit to a later batch's, for at most the commit interval (see commit_plan.ts); the loop
 * commits whatever waits as soon as it has nothing else to do, and before it ends.
 * `--available-now` ends only when every partition of the topic is committed up to its end
 * offset at start, by this member or another.
 */
import { setImmediate } from "node:timers";
import { formatInterval } from "../core/interval.ts";
import { ReviewsError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { CASSANDRA_FAILURES, KAFKA_FAILURES, retrying } from "../core/retry.ts";
import type { Stopper } from "../core/signals.ts";
import {
  addDeadLetter,
  appendOutput,
  type BatchOutput,
  eventTimeOf,
  type PendingRow,
} from "./batch.ts";
import { hasDeadLetters, planCommit } from "./commit_plan.ts";
import type { MicroBatchBuffer, SourceMessage } from "./buffer.ts";
import { type Committer, PartitionLost } from "./committer.ts";
import { deadLetter, type DeadLetterSource } from "./dead_letters.ts";
import { describeStandings, type PartitionLedger } from "./ledger.ts";
import { type BatchReport, latencyOf } from "./progress.ts";
import { type RowStore, WriteJob, type WriterLimits } from "./writer.ts";

/** How the loop runs. */
export interface EngineOptions {
  intervalMs: number;
  availableNow: boolean;
  /** With availableNow: fail (non-zero) if the backlog is not drained within this. */
  availableNowTimeoutMs: number;
  maxBatch: number;
  /**
   * How long a written batch's offsets may wait to be committed with a later batch's, while
   * batches run back to back; a batch with dead letters always commits at once.
   */
  commitIntervalMs: number;
  writer: WriterLimits;
  /** Columns forming the partition key, first in each row. */
  keyColumns: number;
  deadLetterSource: DeadLetterSource;
}

/** What the loop uses. */
export interface EngineDeps {
  buffer: MicroBatchBuffer;
  ledger: PartitionLedger;
  committer: Committer;
  store: RowStore;
  transform: (messages: readonly SourceMessage[]) => BatchOutput;
  logger: Logger;
  stopper: Stopper;
  /** A failure of the source that ends the run. */
  sourceFailure?: () => unknown;
  /** Stops fetching at shutdown, so the last batches can be drained from the buffer. */
  pauseSource?: () => void;
  /** Makes the source read a partition again from an offset (its buffer was dropped). */
  rewindSource?: (partition: number, offset: number) => void;
  /** Called after each committed batch: the progress line or JSON, metrics. */
  onBatch?: (report: BatchReport) => void;
  /** Called before each retry of a Cassandra write (metrics). */
  onWriteRetry?: (error: unknown) => void;
}

/** Totals of a run. */
export interface StreamTotals {
  batches: number;
  events: number;
  written: number;
  deadLettered: number;
  unmatched: number;
}

/** How often a waiting member re-reads the group's committed offsets and says it waits. */
const REFRESH_MS = 1_000;
const WAITING_NOTICE_MS = 5_000;
/**
 * Messages transformed between two turns of the event loop when a batch is prepared while the
 * previous one is written (a few milliseconds' work), so Cassandra's replies are read and its
 * requests kept coming meanwhile.
 */
const TRANSFORM_CHUNK = 1_000;

/** The micro-batch loop of one stream member. */
export class StreamEngine {
  readonly totals: StreamTotals = {
    batches: 0,
    events: 0,
    written: 0,
    deadLettered: 0,
    unmatched: 0,
  };
  #claims = 0;
  /** When the previous batch was written (or the run started), for the trigger wait. */
  #lastBatchEnd = performance.now();
  /** The commit of the last batch written, until #settle() takes its outcome. */
  #inFlight: Promise<void> | undefined;
  /** Per partition, how often its commit was fenced (see #epoch). */
  readonly #epochs = new Map<number, number>();
  /** The next batch, taken and transformed while the previous one was written. */
  #ahead: TakenBatch | undefined;
  /** Written batches whose commit waits for a later one's (at most the commit interval). */
  #deferred: WrittenBatch[] = [];
  /** When the last commit started. */
  #lastCommit = -Infinity;

  constructor(readonly options: EngineOptions, readonly deps: EngineDeps) {}

  /**
   * Takes newly assigned partitions over: fences their earlier owners, re-reads the committed
   * offsets, drops buffered messages below them, and only then lets them be batched.
   */
  async claim(): Promise<void> {
    const claim = ++this.#claims;
    const owned = this.deps.ledger.owned;
    await this.#takeOver(claim, owned, "taking over partitions", (c) => c.claim(owned));
  }

  /**
   * Fences through the committer (retrying what waiting can fix), then records where the group
   * stands, drops buffered messages below it, and lets the partitions be batched; unless a newer
   * assignment came meanwhile, which claims its partitions itself.
   */
  async #takeOver(
    claim: number,
    partitions: readonly number[],
    what: string,
    fence: (committer: Committer) => Promise<Map<number, number>>,
  ): Promise<void> {
    const { ledger, buffer, committer, logger, stopper } = this.deps;
    const committed = await retrying(
      { what, kind: KAFKA_FAILURES, logger, stopper },
      () => fence(committer),
    );
    if (claim !== this.#claims) return;
    for (const [partition, offset] of committed) {
      if (offset >= 0) ledger.committed(partition, offset);
    }
    for (const partition of partitions) {
      buffer.dropBelow(partition, ledger.position(partition));
      ledger.markReady(partition);
    }
  }

  /** Runs batches until stopped or, with availableNow, until the topic is drained. */
  async run(): Promise<StreamTotals> {
    try {
      return await this.#run();
    } finally {
      // A batch written before a failure still commits, or fails, before the run ends.
      await this.#inFlight?.catch(() => {});
    }
  }

  async #run(): Promise<StreamTotals> {
    const { options, deps } = this;
    const { buffer, ledger, stopper } = deps;
    const started = performance.now();
    let nextTrigger = started + options.intervalMs;
    let lastRefresh = started;
    let lastNotice = started;
    while (!stopper.stopped) {
      // A full batch, or a full buffer, need not wait for the trigger; the messages of
      // partitions still being claimed are not batchable yet, so they never make a batch due.
      const due = () => {
        const waiting = this.#readyWaiting();
        return this.#ahead !== undefined || performance.now() >= nextTrigger ||
          this.#fullBatchWaiting() ||
          (options.availableNow && waiting > 0 &&
            ledger.readsReachTargets((p) => buffer.readThrough(p)));
      };
      while (!stopper.stopped && !due()) {
        if (this.#deferred.length > 0) {
          // Nothing to write right now: commit what waits.
          await this.#commitWaiting();
          continue;
        }
        if (this.#inFlight !== undefined && this.#readyWaiting() === 0) {
          // Nothing to write meanwhile: the commit under way may be the one that drains.
          await this.#settle();
          continue;
        }
        if (options.availableNow) {
          if (ledger.joined && ledger.drained && this.#readyWaiting() === 0) break;
          const now = performance.now();
          if (now - started > options.availableNowTimeoutMs) this.#timedOut();
          if (now - lastRefresh >= REFRESH_MS && this.#readyWaiting() === 0) {
            lastRefresh = now;
            await this.#refreshCommitted();
          }
          if (now - lastNotice >= WAITING_NOTICE_MS && this.#readyWaiting() === 0) {
            lastNotice = now;
            this.#sayWaiting();
          }
        }
        await stopper.sleep(Math.min(50, Math.max(1, nextTrigger - performance.now())));
      }
      if (stopper.stopped) break;
      if (
        options.availableNow && this.#inFlight === undefined && this.#ahead === undefined &&
        ledger.joined && ledger.drained && this.#readyWaiting() === 0
      ) {
        break;
      }
      // Triggers keep to the interval's grid; a batch that overran starts the next at once.
      const now = performance.now();
      while (nextTrigger <= now) nextTrigger += options.intervalMs;
      if (!await this.#writeBatch({ prepareNext: true })) await stopper.sleep(10);
    }
    await this.#settle();
    const failure = deps.sourceFailure?.();
    if (failure !== undefined) {
      throw new ReviewsError(
        `The Kafka consumer stopped: ${KAFKA_FAILURES.describe(failure)}`,
        undefined,
        {
          cause: failure,
        },
      );
    }
    // Finish what is in hand, fetching nothing more.
    deps.pauseSource?.();
    while (this.#ahead !== undefined || this.#readyWaiting() > 0) await this.runBatch();
    await this.#commitWaiting();
    await this.#settle();
    return this.totals;
  }

  /** Takes, writes and commits one batch from the ready partitions; false if there was none. */
  async runBatch(): Promise<boolean> {
    const started = await this.#writeBatch();
    await this.#settle();
    return started;
  }

  /**
   * Takes and writes one batch (or writes the one prepared ahead), then starts its commit once the
   * previous batch's commit has ended, without waiting for it: the next batch is written while
   * this one commits. With `prepareNext`, while this batch is written, the next is taken and
   * transformed as soon as a full one is waiting (the source refills the buffer during the write),
   * so Cassandra is not left idle meanwhile; and when the next batch is ready that way, this one
   * may leave its commit to it (#mayDefer). False if there was nothing to take.
   */
  async #writeBatch({ prepareNext = false } = {}): Promise<boolean> {
    const { options, deps } = this;
    const { logger, stopper } = deps;
    const taken = this.#ahead ?? await this.#take();
    this.#ahead = undefined;
    if (taken === undefined) return false;
    if (taken.held) deps.buffer.release(taken.messages);
    const { messages, output } = taken;
    const consequence =
      `the ${messages.length} events in hand are not committed and will be read again`;

    const writeStarted = performance.now();
    const job = new WriteJob(deps.store, output.rows, options.keyColumns, options.writer);
    const writing = retrying(
      {
        what: "writing to Cassandra",
        kind: CASSANDRA_FAILURES,
        logger,
        stopper,
        consequence,
        onRetry: deps.onWriteRetry,
      },
      () => job.run(),
    );
    if (prepareNext) {
      writing.catch(() => {}); // awaited just below
      if (await this.#fullBatchBefore(writing)) {
        this.#ahead = await this.#take({ chunk: TRANSFORM_CHUNK, hold: true });
      }
    }
    await writing;
    const written = performance.now();
    for (const { row, reason } of job.rejected) {
      addDeadLetter(
        output.deadLetters,
        row.source.partition,
        deadLetter(row.source, reason, options.deadLetterSource),
      );
    }
    const batch: WrittenBatch = {
      startedAt: taken.startedAt,
      started: taken.started,
      waited: Math.max(0, taken.started - this.#lastBatchEnd) / 1000,
      transform: taken.transformSeconds,
      write: (written - writeStarted) / 1000,
      tallies: tally(messages, output.rows, new Set(job.rejected.map((r) => r.row)), Date.now()),
      deadLetters: output.deadLetters,
      next: output.next,
      unmatched: output.unmatched,
      epochs: taken.epochs,
      consequence,
    };
    await this.#settle();
    if (this.#mayDefer(batch)) this.#deferred.push(batch);
    else this.#startCommit(batch);
    this.#lastBatchEnd = performance.now();
    return true;
  }

  /**
   * Whether a written batch may leave its commit to the next one's: the next batch is already
   * prepared, this one has no dead letters (those commit at once, so a replay never repeats one),
   * the last commit started within the commit interval, and the stream is not stopping. A crash
   * meanwhile replays these batches, whose rows are idempotent.
   */
  #mayDefer(batch: WrittenBatch): boolean {
    return this.#ahead !== undefined && !this.deps.stopper.stopped && !hasDeadLetters(batch) &&
      performance.now() - this.#lastCommit < this.options.commitIntervalMs;
  }

  /**
   * Starts the commit of the batches waiting for one, and of `batch`, without waiting for it: its
   * failure is thrown by the next #settle(). The commit before it must have settled.
   */
  #startCommit(batch?: WrittenBatch): void {
    const batches = batch === undefined ? this.#deferred : [...this.#deferred, batch];
    this.#deferred = [];
    if (batches.length === 0) return;
    this.#lastCommit = performance.now();
    const commit = this.#commitBatches(batches);
    commit.catch(() => {}); // thrown by the next #settle()
    this.#inFlight = commit;
  }

  /** Starts the commit of the batches that wait for one, once the commit under way has settled. */
  async #commitWaiting(): Promise<void> {
    await this.#settle();
    this.#startCommit();
  }

  /**
   * Takes a batch from the ready partitions and transforms it, `chunk` messages at a time with a
   * turn of the event loop between chunks (the previous batch's writes may be in flight), or at
   * once. The epochs of its partitions are read in the same tick as the take (see #commitBatch).
   * With `hold` (a batch taken ahead) its messages count against the buffer's bound until its
   * write begins, so memory holds two batches, not three.
   */
  async #take({ chunk = Infinity, hold = false } = {}): Promise<TakenBatch | undefined> {
    const ready = this.deps.ledger.ready;
    const messages = this.deps.buffer.take(this.options.maxBatch, ready, { hold });
    if (messages.length === 0) return undefined;
    // Every partition the messages can come from: a few entries, not a pass over the batch.
    const epochs = new Map(ready.map((partition) => [partition, this.#epoch(partition)]));
    const started = performance.now();
    const startedAt = new Date();
    let output: BatchOutput | undefined;
    let busy = 0;
    for (let from = 0; from < messages.length; from += chunk) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      const chunkStarted = performance.now();
      const part = this.deps.transform(
        chunk >= messages.length ? messages : messages.slice(from, from + chunk),
      );
      output = output === undefined ? part : appendOutput(output, part);
      busy += performance.now() - chunkStarted;
    }
    return {
      messages,
      held: hold,
      output: output!,
      epochs,
      started,
      startedAt,
      transformSeconds: busy / 1000,
    };
  }

  /**
   * Whether a full batch is waiting now, or is fetched before `writing` ends (the source refills
   * the buffer while a batch is written); false once the write ended first.
   */
  async #fullBatchBefore(writing: Promise<void>): Promise<boolean> {
    if (this.#fullBatchWaiting()) return true;
    return await this.deps.buffer.fullBefore(writing) && this.#fullBatchWaiting();
  }

  /** Whether a batch would be due now whatever the trigger: a full one, or a full buffer. */
  #fullBatchWaiting(): boolean {
    const waiting = this.#readyWaiting();
    return waiting >= this.options.maxBatch || (waiting > 0 && this.deps.buffer.full);
  }

  /**
   * Commits each partition of written batches (in the order written) with their dead letters, in
   * one transaction per partition, then reports each batch. A partition whose earlier commit was
   * fenced since a batch was taken is not committed for that batch: its messages left the buffer
   * and are read again from the group's position.
   */
  async #commitBatches(batches: readonly WrittenBatch[]): Promise<void> {
    const { deps } = this;
    const { buffer, ledger, logger, stopper } = deps;
    const committing = performance.now();
    const starts = new Map<number, number>();
    for (const batch of batches) {
      for (const partition of batch.next.keys()) {
        if (!starts.has(partition)) starts.set(partition, ledger.position(partition));
      }
    }
    const plan = planCommit(batches, (partition) => this.#epoch(partition));
    const consequence = batches.at(-1)!.consequence;
    const committed = new Set<number>();
    await Promise.all([...plan].map(async ([partition, { next, letters }]) => {
      try {
        await retrying(
          {
            what: `committing partition ${partition} with its ${letters.length} dead letters`,
            kind: KAFKA_FAILURES,
            logger,
            stopper,
            consequence,
          },
          () => deps.committer.commit(partition, next, letters),
        );
        ledger.committed(partition, next);
        committed.add(partition);
      } catch (error) {
        if (!(error instanceof PartitionLost)) throw error;
        this.#epochs.set(partition, this.#epoch(partition) + 1);
        if (ledger.owns(partition)) {
          await this.#retake(partition, error);
        } else {
          ledger.lose(partition);
          buffer.forget(partition);
          logger.warn(
            `${error.message}; its uncommitted events (rows already written are rewritten ` +
              `idempotently) will be processed there`,
          );
        }
      }
    }));
    const ended = performance.now();
    batches.forEach((batch, index) => {
      const partitions = [...plan]
        .filter(([partition, part]) => committed.has(partition) && part.batches.includes(index))
        .map(([partition]) => partition)
        .sort((a, b) => a - b);
      this.#report(batch, partitions, starts, committing, ended);
    });
  }

  /**
   * Reports a batch once its partitions `committed` are (those it counts), from `starts`: each
   * partition's position before it, moved on to where the batch ends there.
   */
  #report(
    batch: WrittenBatch,
    committed: readonly number[],
    starts: Map<number, number>,
    committing: number,
    ended: number,
  ): void {
    const { ledger } = this.deps;
    const tallies = committed.map((p) => batch.tallies.get(p)!);
    const latencies = tallies.flatMap((t) => t.latencies);
    const latest = new Map(ledger.standings().map((s) => [s.partition, s.latest]));
    const report: BatchReport = {
      id: ++this.totals.batches,
      startedAt: batch.startedAt,
      events: tallies.reduce((sum, t) => sum + t.events, 0),
      written: tallies.reduce((sum, t) => sum + t.written, 0),
      deadLettered: committed
        .reduce((sum, p) => sum + (batch.deadLetters.get(p)?.length ?? 0), 0),
      unmatched: committed.length === batch.next.size ? batch.unmatched : 0,
      seconds: (ended - batch.started) / 1000,
      waited: batch.waited,
      phases: {
        transform: batch.transform,
        write: batch.write,
        commit: (ended - committing) / 1000,
      },
      partitions: committed.map((partition) => ({
        partition,
        start: starts.get(partition) ?? 0,
        end: batch.next.get(partition) ?? 0,
        latest: latest.get(partition) ?? 0,
      })),
      latency: latencyOf(latencies),
      latencies,
      lag: ledger.lag(ledger.owned),
    };
    for (const partition of committed) starts.set(partition, batch.next.get(partition) ?? 0);
    this.totals.events += report.events;
    this.totals.written += report.written;
    this.totals.deadLettered += report.deadLettered;
    this.totals.unmatched += report.unmatched;
    this.deps.onBatch?.(report);
  }

  /** Waits for the commit under way, if any, and throws its failure. */
  async #settle(): Promise<void> {
    const commit = this.#inFlight;
    this.#inFlight = undefined;
    await commit;
  }

  /** How often a partition's commit was fenced: a batch taken before then must not commit it. */
  #epoch(partition: number): number {
    return this.#epochs.get(partition) ?? 0;
  }

  /**
   * A commit was fenced although the group still assigns the partition here: a member whose
   * assignment is out of date took it, or this member's own recovery did. Takes it back and reads
   * it again from where the group stands, since the failed batch's messages left the buffer.
   */
  async #retake(partition: number, lost: PartitionLost): Promise<void> {
    const { ledger, buffer, logger } = this.deps;
    const claim = this.#claims;
    ledger.hold(partition);
    buffer.forget(partition);
    this.deps.rewindSource?.(partition, ledger.position(partition));
    logger.warn(
      `${lost.message}, but the group still assigns it here; taking it back and reading it ` +
        `again from offset ${ledger.position(partition)} (rows already written are rewritten ` +
        `idempotently)`,
    );
    await this.#takeOver(
      claim,
      [partition],
      `taking partition ${partition} back`,
      (committer) => committer.retake(partition),
    );
  }

  /** Messages waiting in partitions this member may batch now. */
  #readyWaiting(): number {
    return this.deps.ledger.ready.reduce((sum, p) => sum + this.deps.buffer.waiting(p), 0);
  }

  async #refreshCommitted(): Promise<void> {
    try {
      for (const [partition, offset] of await this.deps.committer.committedOffsets()) {
        if (offset >= 0) this.deps.ledger.committed(partition, offset);
      }
    } catch (error) {
      this.deps.logger.debug(`Could not read the group's committed offsets: ${error}`);
    }
  }

  #sayWaiting(): void {
    const { ledger, logger } = this.deps;
    const remaining = ledger.remaining();
    const elsewhere = remaining.filter((s) => !s.owned);
    if (!ledger.joined) {
      logger.info("Waiting to join the consumer group");
    } else if (elsewhere.length > 0) {
      logger.info(
        `Waiting for partitions held by other members of group ` +
          `${this.options.deadLetterSource.group} (a crashed member's come free after its ` +
          `session timeout): ${describeStandings(remaining)}`,
      );
    } else if (remaining.length > 0) {
      logger.info(`Waiting for messages: ${describeStandings(remaining)}`);
    }
  }

  #timedOut(): never {
    const remaining = this.deps.ledger.remaining();
    throw new ReviewsError(
      `The backlog was not drained within ${formatInterval(this.options.availableNowTimeoutMs)}: ` +
        `${describeStandings(remaining)}`,
      "Other members of the group may hold these partitions, or the stream is slower than the " +
        "backlog; raise --available-now-timeout, or check the group with " +
        "'kafka-consumer-groups.sh --describe'.",
    );
  }
}

/** A batch taken from the buffer and transformed, not yet written. */
interface TakenBatch {
  messages: SourceMessage[];
  /** Taken ahead with `hold`: its messages count against the buffer's bound until written. */
  held: boolean;
  output: BatchOutput;
  /** Each partition's epoch when its messages were taken. */
  epochs: Map<number, number>;
  /** performance.now() and the wall clock at the take. */
  started: number;
  startedAt: Date;
  /** Time spent transforming. */
  transformSeconds: number;
}

/**
 * A batch whose rows are in Cassandra, waiting for its commit: what the commit and the report
 * need, not the messages and rows (the next batch is written meanwhile).
 */
interface WrittenBatch {
  startedAt: Date;
  started: number;
  waited: number;
  transform: number;
  write: number;
  tallies: Map<number, PartitionTally>;
  deadLetters: BatchOutput["deadLetters"];
  next: BatchOutput["next"];
  unmatched: number;
  /** Each partition's epoch when its messages were taken. */
  epochs: Map<number, number>;
  consequence: string;
}

/** What a batch did in one partition, counted once the partition commits. */
interface PartitionTally {
  events: number;
  written: number;
  /** Seconds from each stored row's event time to its write. */
  latencies: number[];
}

/** Counts a written batch per partition, so its messages and rows need not be kept. */
function tally(
  messages: readonly SourceMessage[],
  rows: readonly PendingRow[],
  rejected: ReadonlySet<PendingRow>,
  writtenAt: number,
): Map<number, PartitionTally> {
  const tallies = new Map<number, PartitionTally>();
  const of = (partition: number) => {
    let t = tallies.get(partition);
    if (t === undefined) tallies.set(partition, t = { events: 0, written: 0, latencies: [] });
    return t;
  };
  for (const message of messages) of(message.partition).events++;
  for (const row of rows) {
    if (rejected.has(row)) continue;
    const t = of(row.source.partition);
    t.written++;
    t.latencies.push((writtenAt - eventTimeOf(row)) / 1000);
  }
  return tallies;
}

/**
 * Writes a micro-batch's rows the way spark-cassandra-connector does: rows that share a partition
 * key go together in UNLOGGED batches (one partition per batch, so a batch is one mutation on one
 * replica set), bounded in rows and bytes, with a bounded number of requests in flight.
 */
import { messageOf } from "../core/errors.ts";
import { CASSANDRA_FAILURES, PermanentFailure } from "../core/retry.ts";
import type { PendingRow } from "./batch.ts";
import { utf8Length } from "../core/utf8.ts";

/** Where rows go: one call writes rows of one partition atomically enough (UNLOGGED batch). */
export interface RowStore {
  /** Writes rows that share a partition key; one row is a plain INSERT. */
  writeGroup(rows: readonly (readonly unknown[])[]): Promise<void>;
}

/** Bounds on each request and on requests in flight. */
export interface WriterLimits {
  /** Rows in one batch at most. */
  maxRows: number;
  /** Estimated bytes in one batch at most (Cassandra warns at 5 KiB by default). */
  maxBytes: number;
  /** Requests in flight at most. */
  concurrency: number;
}

/** A row Cassandra refused for good, with its reason. */
export interface RejectedRow {
  row: PendingRow;
  reason: string;
}

// Per cell: the write timestamp, flags and lengths Cassandra counts in a mutation's size.
const CELL_OVERHEAD = 12;

/**
 * An upper estimate of a row's size in a mutation, as Cassandra counts batch sizes; of the
 * values from `from` up to `to`, when given.
 */
export function rowBytes(values: readonly unknown[], from = 0, to = values.length): number {
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const value = values[i];
    bytes += CELL_OVERHEAD;
    if (typeof value === "string") bytes += utf8Length(value);
    else if (value !== null && value !== undefined) bytes += 8;
  }
  return bytes;
}

/** A partition key value as the groups tell them apart: texts as they are, others as text. */
function keyPart(value: unknown): unknown {
  return typeof value === "string" ? value : String(value);
}

/**
 * Groups rows by their partition key (the first `keyColumns` values), then cuts each group into
 * batches of at most `maxRows` rows and `maxBytes` estimated bytes. A row larger than
 * `maxBytes` on its own is a batch of one.
 */
export function groupRows(
  rows: readonly PendingRow[],
  keyColumns: number,
  limits: Pick<WriterLimits, "maxRows" | "maxBytes">,
): PendingRow[][] {
  // One map per key column, nested: no key text is built per row.
  const root = new Map<unknown, unknown>();
  const groups: PendingRow[][] = [];
  for (const row of rows) {
    let level = root;
    for (let i = 0; i < keyColumns - 1; i++) {
      const part = keyPart(row.values[i]);
      let next = level.get(part) as Map<unknown, unknown> | undefined;
      if (next === undefined) level.set(part, next = new Map());
      level = next;
    }
    const part = keyPart(row.values[keyColumns - 1]);
    const group = level.get(part) as PendingRow[] | undefined;
    if (group === undefined) {
      const created = [row];
      level.set(part, created);
      groups.push(created);
    } else {
      group.push(row);
    }
  }
  const batches: PendingRow[][] = [];
  for (const group of groups) {
    let batch: PendingRow[] = [];
    let bytes = 0;
    for (const row of group) {
      const size = row.bytes;
      if (batch.length > 0 && (batch.length >= limits.maxRows || bytes + size > limits.maxBytes)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(row);
      bytes += size;
    }
    if (batch.length > 0) batches.push(batch);
  }
  return batches;
}

/** Whether a permanent write failure is the row's own fault (not the table's or the user's). */
export function isRowFault(error: unknown): boolean {
  const name = (error as { name?: unknown }).name;
  if (name === "TypeError" || name === "RangeError") return true;
  const code = (error as { code?: unknown }).code;
  // Invalid request: a value the column cannot take, unless the schema itself is missing.
  return code === 0x2200 &&
    !/(keyspace|table|column family|unconfigured)\b.*(does not exist|not found)|unconfigured table/i
      .test(messageOf(error));
}

/**
 * The writing of one micro-batch. `run()` may be called again after a retriable failure: it only
 * writes what has not been written yet. Rows Cassandra rejects for good are collected in
 * `rejected`; a failure that is nobody's row (a missing table, no permission) throws a
 * PermanentFailure.
 */
export class WriteJob {
  readonly rejected: RejectedRow[] = [];
  #pending: PendingRow[][];
  /** Requests the last run() sent, for metrics and tests. */
  requests = 0;

  constructor(
    readonly store: RowStore,
    rows: readonly PendingRow[],
    readonly keyColumns: number,
    readonly limits: WriterLimits,
  ) {
    this.#pending = groupRows(rows, keyColumns, limits);
  }

  /** Batches not yet written. */
  get remaining(): number {
    return this.#pending.length;
  }

  /** Writes the remaining batches; throws the first retriable failure after in-flight ones end. */
  async run(): Promise<void> {
    const queue = this.#pending;
    const failed: PendingRow[][] = [];
    let retriable: unknown;
    let fatal: unknown;
    let next = 0;
    const worker = async () => {
      while (retriable === undefined && fatal === undefined && next < queue.length) {
        const batch = queue[next++];
        try {
          this.requests++;
          await this.store.writeGroup(batch.map((row) => row.values));
        } catch (error) {
          if (CASSANDRA_FAILURES.classify(error) === "retriable") {
            retriable ??= error;
            failed.push(batch);
          } else if (batch.length > 1) {
            // Find the row at fault: write the batch's rows one by one.
            queue.push(...batch.map((row) => [row]));
          } else if (isRowFault(error)) {
            this.rejected.push({
              row: batch[0],
              reason: `Cassandra rejected the row: ${CASSANDRA_FAILURES.describe(error)}`,
            });
          } else {
            fatal ??= error;
            failed.push(batch);
          }
        }
      }
    };
    const workers = Math.max(1, Math.min(this.limits.concurrency, queue.length));
    await Promise.all(Array.from({ length: workers }, worker));
    this.#pending = [...failed, ...queue.slice(next)];
    if (fatal !== undefined) {
      throw new PermanentFailure(
        `Writing to Cassandra failed, and retrying cannot fix it: ` +
          CASSANDRA_FAILURES.describe(fatal),
        "Check the table exists with the expected columns ('./reviews init-schema') and that the " +
          "user may modify it; the batch was not committed and will be read again.",
        { cause: fatal },
      );
    }
    if (retriable !== undefined) throw retriable;
  }
}

import type { CqlSession } from "../cassandra/client.ts";
import { CONSISTENCY_LEVELS, type ConsistencyName } from "../cassandra/consistency.ts";
import { type Dataset, tableColumns } from "../pipeline/dataset.ts";
import { ReviewsError } from "../core/errors.ts";
import { tableExists } from "../cassandra/schema.ts";
import type { RowStore } from "./writer.ts";
import { markSharedTail, sharedTailOf } from "../cassandra/shared_values.ts";

/** Writes enriched rows into the dataset's table with a prepared, idempotent INSERT (the RowStore of the stream). */
export class CassandraSink implements RowStore {
  readonly #insert: string;
  readonly #options: { prepare: true; isIdempotent: true; consistency: number };

  constructor(
    readonly client: CqlSession,
    readonly dataset: Dataset,
    consistency: ConsistencyName,
  ) {
    this.#options = {
      prepare: true,
      isIdempotent: true,
      consistency: CONSISTENCY_LEVELS[consistency],
    };
    const columns = tableColumns(dataset);
    this.#insert = `INSERT INTO ${dataset.keyspace}.${dataset.table} (${columns.join(", ")}) ` +
      `VALUES (${columns.map(() => "?").join(", ")})`;
  }

  /** Fails early with a hint when the table is missing. */
  async check(): Promise<void> {
    if (!(await tableExists(this.client, this.dataset.keyspace, this.dataset.table))) {
      throw new ReviewsError(
        `Table ${this.dataset.keyspace}.${this.dataset.table} does not exist`,
        `Run './reviews init-schema --dataset ${this.dataset.name}' first.`,
      );
    }
  }

  /** Writes rows of one partition: one row as an INSERT, more as an UNLOGGED batch. */
  async writeGroup(rows: readonly (readonly unknown[])[]): Promise<void> {
    if (rows.length === 1) {
      await this.client.execute(this.#insert, this.#params(rows[0]), this.#options);
    } else {
      await this.client.batch(
        rows.map((row) => ({ query: this.#insert, params: this.#params(row) })),
        { ...this.#options, logged: false },
      );
    }
  }

  /**
   * A row's values as the driver takes them: `null` sent as unset, so it writes no tombstone.
   * The stream's rows have none (see enrich()) and go as they are.
   */
  #params(row: readonly unknown[]): readonly unknown[] {
    if (!row.includes(null)) return row;
    const params = new Array(row.length);
    for (let i = 0; i < row.length; i++) {
      const value = row[i];
      params[i] = value === null ? undefined : value;
    }
    // The same catalog entry gives the same values here, so the mark holds for the params too.
    const shared = sharedTailOf(row);
    if (shared !== undefined) markSharedTail(params, shared);
    return params;
  }
}

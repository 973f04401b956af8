import cassandra from "cassandra-driver";
import { type CassandraClient, CONSISTENCY_LEVELS, type ConsistencyName } from "./cassandra.ts";
import { type Dataset, tableColumns } from "./dataset.ts";
import { ReviewsError } from "./errors.ts";

/** Writes enriched rows into the dataset's table with a prepared, idempotent INSERT. */
export class CassandraSink {
  readonly #insert: string;

  constructor(
    readonly client: CassandraClient,
    readonly dataset: Dataset,
    readonly options: { concurrency: number; consistency: ConsistencyName },
  ) {
    const columns = tableColumns(dataset);
    this.#insert = `INSERT INTO ${dataset.keyspace}.${dataset.table} (${columns.join(", ")}) ` +
      `VALUES (${columns.map(() => "?").join(", ")})`;
  }

  /** Fails early with a hint when the table is missing, and prepares the statement. */
  async check(): Promise<void> {
    const found = await this.client.execute(
      "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
      [this.dataset.keyspace, this.dataset.table],
    );
    if (found.rowLength === 0) {
      throw new ReviewsError(
        `Table ${this.dataset.keyspace}.${this.dataset.table} does not exist`,
        `Run './reviews init-schema --dataset ${this.dataset.name}' first.`,
      );
    }
  }

  /**
   * Writes every row, at most `concurrency` requests in flight; throws on the first failure (the
   * caller retries the whole batch: the primary key comes from the event, so rewriting is safe).
   * `null` attributes are sent as unset, so they write no tombstone.
   */
  async write(rows: readonly (readonly unknown[])[]): Promise<void> {
    if (rows.length === 0) return;
    const parameters = rows.map((row) => row.map((value) => value === null ? undefined : value));
    await cassandra.concurrent.executeConcurrent(this.client.driver, this.#insert, parameters, {
      concurrencyLevel: this.options.concurrency,
      raiseOnFirstError: true,
      executionProfile: undefined,
      queryOptions: {
        prepare: true,
        isIdempotent: true,
        consistency: CONSISTENCY_LEVELS[this.options.consistency],
      },
    } as cassandra.concurrent.Options);
  }
}

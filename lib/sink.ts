import {
  type CassandraClient,
  cassandraMessage,
  CONSISTENCY_LEVELS,
  type ConsistencyName,
} from "./cassandra.ts";
import { type Dataset, tableColumns } from "./dataset.ts";
import { ReviewsError } from "./errors.ts";
import { tableExists } from "./schema.ts";

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

  /** Fails early with a hint when the table is missing. */
  async check(): Promise<void> {
    if (!(await tableExists(this.client, this.dataset.keyspace, this.dataset.table))) {
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
    // The driver's executeConcurrent() passes on no consistency level and no idempotence flag,
    // so the pool is ours.
    const options = {
      prepare: true,
      isIdempotent: true,
      consistency: CONSISTENCY_LEVELS[this.options.consistency],
    };
    let next = 0;
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && next < rows.length) {
        const row = rows[next++];
        try {
          await this.client.driver.execute(
            this.#insert,
            row.map((value) => value === null ? undefined : value),
            options,
          );
        } catch (error) {
          failure ??= error;
        }
      }
    };
    const workers = Math.min(this.options.concurrency, rows.length);
    await Promise.all(Array.from({ length: workers }, worker));
    if (failure !== undefined) throw new Error(cassandraMessage(failure), { cause: failure });
  }
}

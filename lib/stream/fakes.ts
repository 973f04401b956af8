/**
 * In-memory stand-ins for the stream's outside world, for unit tests: a committer that keeps
 * offsets and dead letters in maps, and a row store that keeps rows by primary key. They follow
 * the same contracts as the Kafka and Cassandra adapters, including their failure modes.
 */
import { type Catalog, parseCatalog } from "../pipeline/catalog.ts";
import { datasetByName } from "../pipeline/dataset.ts";
import type { SourceMessage } from "./buffer.ts";
import { type Committer, PartitionLost } from "./committer.ts";
import type { DeadLetter } from "./dead_letters.ts";
import type { RowStore } from "./writer.ts";

/** A movies catalog of one title, Heat (1995). */
export function miniCatalog(): Catalog {
  return parseCatalog(
    new TextEncoder().encode(
      "show_id,type,title,director,cast,country,date_added,release_year,rating,duration," +
        "listed_in,description\ns1,Movie,Heat,,,,,1995,R,170 min,Thrillers,x\n",
    ),
    "mini.csv",
    datasetByName("movies"),
  );
}

/** A message on partition `partition` at `offset` with a UTF-8 value. */
export function sourceMessage(partition: number, offset: number, value: string): SourceMessage {
  return {
    partition,
    offset,
    key: new TextEncoder().encode(`key-${offset}`),
    value: new TextEncoder().encode(value),
    timestamp: "1709287200000",
  };
}

/** Commits into memory; `failNext` makes the next commits fail, `lost` fences partitions. */
export class MemoryCommitter implements Committer {
  readonly offsets = new Map<number, number>();
  readonly deadLetters: DeadLetter[] = [];
  readonly lost = new Set<number>();
  failNext = 0;
  commits = 0;
  retakes = 0;

  claim(_partitions: readonly number[]): Promise<Map<number, number>> {
    return this.committedOffsets();
  }

  /** Fences whoever took the partition: it commits here again. */
  retake(partition: number): Promise<Map<number, number>> {
    this.lost.delete(partition);
    this.retakes++;
    return this.committedOffsets();
  }

  commit(partition: number, next: number, letters: readonly DeadLetter[]): Promise<void> {
    if (this.lost.has(partition)) return Promise.reject(new PartitionLost(partition));
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(Object.assign(new Error("broker not available"), { retriable: true }));
    }
    // Atomic: the letters and the offset land together, or neither does.
    this.deadLetters.push(...letters);
    this.offsets.set(partition, next);
    this.commits++;
    return Promise.resolve();
  }

  committedOffsets(): Promise<Map<number, number>> {
    return Promise.resolve(new Map(this.offsets));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Keeps rows by primary key (the first `keyColumns` values plus the next), like a table: writing
 * a row twice keeps one. `reject` refuses rows for good; `failNext` fails whole requests.
 */
export class MemoryStore implements RowStore {
  readonly rows = new Map<string, readonly unknown[]>();
  readonly requests: number[] = [];
  failNext = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    readonly primaryKeyColumns: number,
    readonly reject: (row: readonly unknown[]) => string | undefined = () => undefined,
  ) {}

  async writeGroup(rows: readonly (readonly unknown[])[]): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await Promise.resolve();
      if (this.failNext > 0) {
        this.failNext--;
        throw Object.assign(new Error("Cannot achieve consistency level LOCAL_QUORUM"), {
          code: 0x1000,
        });
      }
      for (const row of rows) {
        const reason = this.reject(row);
        if (reason !== undefined) throw Object.assign(new Error(reason), { code: 0x2200 });
      }
      this.requests.push(rows.length);
      for (const row of rows) {
        this.rows.set(JSON.stringify(row.slice(0, this.primaryKeyColumns)), row);
      }
    } finally {
      this.inFlight--;
    }
  }
}

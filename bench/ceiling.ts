/**
 * The raw write ceiling the stream is measured against: the Node driver inserting the very rows
 * the stream writes, with no Kafka in the way, (a) one row per request and (b) grouped by
 * partition key into UNLOGGED batches, both with the stream's request concurrency and values as
 * the driver takes them (strings it encodes itself); and (b) again with the stream sink's text
 * serialization, to show what that alone is worth.
 */
import type { CassandraClient } from "../lib/cassandra/client.ts";
import { loadCatalog } from "../lib/pipeline/catalog.ts";
import { type Dataset, PARTITION_KEY_COLUMNS } from "../lib/pipeline/dataset.ts";
import { dataPath } from "../lib/core/resources.ts";
import { backoffDelay, CASSANDRA_FAILURES } from "../lib/core/retry.ts";
import { withStockDriver } from "../lib/cassandra/driver_patches.ts";
import { CassandraSink } from "../lib/stream/cassandra_sink.ts";
import { type PendingRow, transformBatch } from "../lib/stream/batch.ts";
import type { SourceMessage } from "../lib/stream/buffer.ts";
import { groupRows, type WriterLimits } from "../lib/stream/writer.ts";
import type { KafkaMessage } from "../lib/kafka/kafkajs.ts";

/** The rows the stream makes of some messages, with the same catalog and transform. */
export async function rowsOf(
  messages: readonly KafkaMessage[],
  dataset: Dataset,
  topic: string,
): Promise<PendingRow[]> {
  const catalog = await loadCatalog(dataPath(dataset.catalogFile), dataset);
  const source: SourceMessage[] = messages.map((m, i) => ({
    partition: 0,
    offset: i,
    key: m.key,
    value: m.value,
    timestamp: m.timestamp,
  }));
  // Only the values are written: drop the messages so the bench does not hold them twice.
  return transformBatch(source, dataset, catalog, { topic, group: "bench" }).rows
    .map((row) => ({ ...row, source: EMPTY_SOURCE }));
}

const EMPTY_SOURCE: SourceMessage = {
  partition: 0,
  offset: 0,
  key: null,
  value: null,
  timestamp: "0",
};

/** (a): every row its own INSERT, `concurrency` requests in flight, the driver as published. */
export async function writeOneByOne(
  cassandra: CassandraClient,
  dataset: Dataset,
  rows: readonly PendingRow[],
  concurrency: number,
): Promise<void> {
  await withStockDriver(() =>
    writeInPool(cassandra, dataset, rows.map((row) => [row]), concurrency)
  );
}

/**
 * (b): rows grouped by partition key into UNLOGGED batches within the writer's bounds, with the
 * driver as published, or with `patched` the frame writing the stream uses.
 */
export async function writeGrouped(
  cassandra: CassandraClient,
  dataset: Dataset,
  rows: readonly PendingRow[],
  limits: WriterLimits,
  { patched = false } = {},
): Promise<void> {
  const batches = groupRows(rows, PARTITION_KEY_COLUMNS, limits);
  const write = () => writeInPool(cassandra, dataset, batches, limits.concurrency);
  await (patched ? write() : withStockDriver(write));
}

/**
 * Plain driver calls from `concurrency` workers. A write timeout (the node is busy flushing or
 * compacting) is retried after a short wait, as the stream would; anything else ends the bench.
 */
async function writeInPool(
  cassandra: CassandraClient,
  dataset: Dataset,
  batches: readonly PendingRow[][],
  concurrency: number,
): Promise<void> {
  const sink = new CassandraSink(cassandra, dataset, "local_quorum");
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const values = batches[next++].map((row) => row.values);
      for (let attempt = 1;; attempt++) {
        try {
          await sink.writeGroup(values);
          break;
        } catch (error) {
          if (attempt >= 10 || CASSANDRA_FAILURES.classify(error) === "permanent") throw error;
          await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

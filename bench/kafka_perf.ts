/**
 * Kafka's own producer benchmark (`kafka-producer-perf-test.sh`, the ProducerPerformance class of
 * the kafka-tools jar that `deno task up` caches) on the same records as `produce`.
 */
import { PROJECT_ROOT } from "../lib/core/resources.ts";
import type { Message } from "../lib/kafka/kafkajs.ts";
import type { KafkaClient } from "../lib/kafka/client.ts";
import { Lanes } from "../lib/kafka/lanes.ts";
import { jarDirectory } from "../services/local.ts";
import { measure } from "./measure.ts";

/** What ProducerPerformance reports on its last line. */
export interface PerfResult {
  recordsPerSecond: number;
  mbPerSecond: number;
}

/**
 * Sends `count` records picked from `payloads` (JSON event bodies, one per line in the file) to
 * `topic`, gzip, acks=all, idempotent (the default since Kafka 3.0), as fast as the broker takes
 * them.
 */
export async function producerPerformance(
  brokers: string[],
  topic: string,
  payloads: readonly string[],
  count: number,
): Promise<PerfResult> {
  const file = await Deno.makeTempFile({ prefix: "reviews-bench-payloads-", suffix: ".txt" });
  try {
    await Deno.writeTextFile(file, payloads.join("\n") + "\n");
    const run = await measure("java", [
      "-cp",
      `${jarDirectory("kafka")}/*`,
      `-Dlog4j.configuration=file:${PROJECT_ROOT}/services/kafka/log4j.properties`,
      "org.apache.kafka.tools.ProducerPerformance",
      "--topic",
      topic,
      "--num-records",
      String(count),
      "--throughput",
      "-1",
      "--payload-file",
      file,
      "--producer-props",
      `bootstrap.servers=${brokers.join(",")}`,
      "acks=all",
      "compression.type=gzip",
      "enable.idempotence=true",
    ]);
    return parsePerfOutput(run.stdout);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** Reads the summary line: "N records sent, R records/sec (M MB/sec), ...". */
export function parsePerfOutput(stdout: string): PerfResult {
  const summary = stdout.trim().split("\n").reverse()
    .map((line) => line.match(/^\d+ records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/))
    .find((match) => match !== null);
  if (!summary) throw new Error(`ProducerPerformance printed no summary:\n${stdout}`);
  return { recordsPerSecond: Number(summary[1]), mbPerSecond: Number(summary[2]) };
}

/**
 * The client's own ceiling: kafkajs sending pre-built keyed messages through the same lanes as
 * `produce` (gzip, acks=all, idempotent), with no event generation. Records per second.
 */
export async function kafkajsCeiling(
  kafka: KafkaClient,
  topic: string,
  payloads: readonly string[],
  count: number,
  batchSize: number,
  lanes: number,
): Promise<number> {
  const sender = await Lanes.open(kafka, topic, lanes);
  const batch = Array.from({ length: batchSize }, (_, i) => {
    const value = payloads[i % payloads.length];
    return { message: { key: JSON.parse(value).reviewer as string, value } as Message };
  });
  const shares = sender.split(batch).map((share) => share.map((item) => item.message));
  const started = performance.now();
  for (let sent = 0; sent < count; sent += batchSize) {
    await Promise.all(
      shares.map((messages, lane) =>
        messages.length === 0 ? undefined : sender.send(lane, messages)
      ),
    );
  }
  return count / ((performance.now() - started) / 1000);
}

/** Shared pieces of the integration tests: unique names, the CLI as a process, service clients. */
import assert from "node:assert/strict";
import type { KafkaMessage } from "../../lib/kafka/kafkajs.ts";
import { CassandraClient } from "../../lib/cassandra/client.ts";
// Installs the filter for kafkajs' harmless negative-timeout warning in the test clients too.
import "../../lib/kafka/client.ts";
import { readConnection } from "../../lib/cli/connection_flags.ts";
import { datasetByName, deadLetterTopic } from "../../lib/pipeline/dataset.ts";
import { decodeEvent } from "../../lib/pipeline/event.ts";
import type { Logger } from "../../lib/core/log.ts";
import { PROJECT_ROOT } from "../../lib/core/resources.ts";

/** The CLI as users run it from a checkout. */
export const CLI = `${PROJECT_ROOT}/reviews`;

const quiet: Logger = { info() {}, warn() {}, debug() {} };

/** A name no other test (or earlier run) uses: valid as a topic, keyspace and group. */
export function uniqueName(prefix: string): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `t_${prefix}_${Date.now().toString(36)}_${random}`.toLowerCase();
}

/** What a finished CLI run printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `./reviews ARGS` to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const started = performance.now();
  const output = await new Deno.Command(CLI, {
    args,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Runs the CLI and fails the test, showing its output, unless it exits 0. */
export async function runCliOk(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(args, env);
  if (run.code !== 0) {
    throw new Error(
      `./reviews ${
        args.join(" ")
      } exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
  }
  return run;
}

/** Runs `stream --available-now` for a group until the topic is drained. */
export function drain(flags: string[], group: string, ...extra: string[]): Promise<CliRun> {
  return runCliOk([
    "stream",
    ...flags,
    "--available-now",
    "--interval",
    "1s",
    "--group",
    group,
    ...extra,
  ]);
}

/** A long-running CLI process whose stderr is collected line by line as it comes. */
export class CliProcess {
  readonly child: Deno.ChildProcess;
  readonly stderrLines: string[] = [];
  readonly #stdout: Promise<string>;
  readonly #stderrDone: Promise<void>;

  constructor(args: string[]) {
    this.child = new Deno.Command(CLI, {
      args,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const child = this.child;
    this.#stdout = new Response(child.stdout).text();
    this.#stderrDone = (async () => {
      let rest = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        rest += chunk;
        const lines = rest.split("\n");
        rest = lines.pop() ?? "";
        this.stderrLines.push(...lines);
      }
      if (rest) this.stderrLines.push(rest);
    })();
  }

  /** Waits until a stderr line matches, or fails after `timeoutMs` showing what was printed. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.stderrLines.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `No stderr line matched ${pattern} in ${timeoutMs} ms:\n${this.stderrLines.join("\n")}`,
    );
  }

  /** Sends a signal and waits for the exit; returns the code and stdout. */
  async stop(
    signal: Deno.Signal = "SIGTERM",
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      this.child.kill(signal);
    } catch {
      // Already gone.
    }
    return await this.finished();
  }

  /** Waits for the process to end on its own. */
  async finished(): Promise<{ code: number; stdout: string; stderr: string }> {
    const status = await this.child.status;
    const stdout = await this.#stdout;
    await this.#stderrDone;
    return { code: status.code, stdout, stderr: this.stderrLines.join("\n") };
  }
}

/** Clients for checking what the CLI wrote, against the same services as the CLI. */
export function testConnections() {
  return readConnection([], Deno.env.toObject());
}

/** A connected Cassandra client for checks. */
export async function cassandraForTests(): Promise<CassandraClient> {
  return await new CassandraClient(testConnections().cassandra, quiet).connect();
}

/** Reads every message of a topic from the start with a throwaway consumer group. */
export async function readTopic(
  topic: string,
  expected: number,
  timeoutMs = 30_000,
  /** After `expected` arrived, keep reading this long, so extra messages (repeats) show. */
  settleMs = 0,
): Promise<KafkaMessage[]> {
  const consumer = (await testKafka()).consumer({
    groupId: uniqueName("reader"),
    maxWaitTimeInMs: 200,
  });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let resolve!: () => void;
    const done = new Promise<void>((r) => resolve = r);
    await consumer.run({
      eachMessage: ({ message }) => {
        // kafkajs wants a promise back; the handler itself has nothing to wait for.
        messages.push(message);
        if (messages.length >= expected) resolve();
        return Promise.resolve();
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([done, new Promise((r) => timer = setTimeout(r, timeoutMs))]);
    clearTimeout(timer);
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    await consumer.disconnect();
  }
  if (messages.length < expected) {
    throw new Error(
      `Read ${messages.length} of ${expected} messages from ${topic} in ${timeoutMs} ms`,
    );
  }
  return messages;
}

/**
 * Reads the first `count` messages of a topic (all of them, bad ones included) and counts the
 * distinct primary keys among the valid events: the rows the table should end up with.
 */
export async function distinctEvents(
  topic: string,
  count: number,
  name: string,
  timeoutMs?: number,
): Promise<number> {
  const dataset = datasetByName(name);
  const messages = await readTopic(topic, count, timeoutMs);
  const keys = new Set<string>();
  for (const message of messages) {
    const decoded = decodeEvent(message.value, dataset);
    if (decoded.ok) {
      const { person, time, item } = decoded.event;
      keys.add(`${person}|${time.toISOString()}|${item}`);
    }
  }
  return keys.size;
}

/** The committed offsets of a group on a topic, by partition (-1: none). */
export async function committedOffsets(
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = await kafkaAdmin();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(entry.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Asserts that a group has committed every partition of a topic up to its end. */
export async function assertAllCommitted(groupId: string, topic: string): Promise<void> {
  const committed = await committedOffsets(groupId, topic);
  const ends = await endOffsets(topic);
  for (const [partition, end] of ends) {
    // A partition that never held a message has nothing to commit (-1).
    const expected = end === 0 ? [-1, 0] : [end];
    const actual = committed.get(partition);
    if (!expected.includes(actual ?? -1)) {
      throw new Error(
        `Partition ${partition} of ${topic}: group ${groupId} committed ${actual}, end is ${end}`,
      );
    }
  }
}

/** The end offsets of a topic, by partition. */
export async function endOffsets(topic: string): Promise<Map<number, number>> {
  const admin = await kafkaAdmin();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** A quiet kafkajs client of the services the tests use (loaded on first use). */
export async function testKafka() {
  const { Kafka, logLevel } = await import("../../lib/kafka/kafkajs.ts");
  return new Kafka({ brokers: testConnections().kafka.brokers, logLevel: logLevel.NOTHING });
}

async function kafkaAdmin() {
  const admin = (await testKafka()).admin();
  await admin.connect();
  return admin;
}

/** Sends raw messages (for bad-input tests), gzip-compressed like the producer's by default. */
export async function sendRaw(
  topic: string,
  messages: { key?: string; value: Uint8Array | string | null }[],
  compression: "gzip" | "none" = "gzip",
) {
  const { CompressionTypes, Partitioners } = await import("../../lib/kafka/kafkajs.ts");
  // Idempotent, as produce is: a send retried while a fresh broker settles (a timeout, a leader
  // not yet elected) must not write a partition's messages twice, or the counts tests expect
  // from what they sent are off (seen in CI: 17 events read for 12 sent).
  const producer = (await testKafka()).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      compression: compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: messages.map((m) => ({
        key: m.key ?? null,
        value: m.value instanceof Uint8Array ? Buffer.from(m.value) : m.value,
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** Counts a table's rows with a client of its own. */
export async function tableRows(keyspace: string, table: string): Promise<number> {
  const cassandra = await cassandraForTests();
  try {
    return await countRows(cassandra, keyspace, table);
  } finally {
    await cassandra.close();
  }
}

/** Counts a table's rows. */
export async function countRows(
  cassandra: CassandraClient,
  keyspace: string,
  table: string,
): Promise<number> {
  const result = await cassandra.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.${table}`, [], {
    prepare: false,
  });
  return Number(result.first().get("n"));
}

/** Removes what a test created: its keyspace and its topics. */
export async function cleanUp(name: { keyspace?: string; topic?: string }): Promise<void> {
  if (name.keyspace) {
    const cassandra = await cassandraForTests();
    try {
      await cassandra.execute(`DROP KEYSPACE IF EXISTS ${name.keyspace}`, [], { prepare: false });
    } finally {
      await cassandra.close();
    }
  }
  if (name.topic) {
    const admin = await kafkaAdmin();
    try {
      const existing = new Set(await admin.listTopics());
      const topics = [name.topic, deadLetterTopic(name.topic)].filter((t) => existing.has(t));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
  }
}

/** Stops or starts one local service the way a user would (`deno task down kafka`). */
export async function localService(
  action: "up" | "down",
  /** A service (kafka, cassandra, or a cluster node: kafka:2) and flags (--nodes 3, --wipe). */
  ...args: string[]
): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${PROJECT_ROOT}/services/local.ts`, action, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
}

/**
 * Makes a new topic and keyspace (the group takes the same name) and starts `stream` on them
 * with metrics on a free loopback port; returns it once it serves, with the metrics' base URL.
 */
export async function streamWithMetrics(
  prefix: string,
  ...extra: string[]
): Promise<{ id: string; flags: string[]; stream: CliProcess; url: string }> {
  const id = uniqueName(prefix);
  const flags = ["--topic", id, "--keyspace", id];
  await runCliOk(["init-schema", ...flags]);
  const stream = new CliProcess([
    "stream",
    ...flags,
    "--group",
    id,
    "--metrics-addr",
    "127.0.0.1:0",
    ...extra,
  ]);
  return { id, flags, stream, url: await servedMetricsUrl(stream) };
}

/** The base URL a `--metrics-addr` process said it serves ("Serving http://...:PORT/metrics"). */
export async function servedMetricsUrl(process: CliProcess): Promise<string> {
  const line = await process.waitFor(/Serving http:\/\/\S+\/metrics/);
  return line.match(/(http:\/\/\S+)\/metrics/)![1];
}

/** Fails when a command's output holds a stack trace (users get a message and a hint). */
export function assertNoStackTrace(output: string): void {
  assert.doesNotMatch(output, /^\s+at .*:\d+:\d+/m, output);
}

/** How the CLI and the test clients reach the local 3-node cluster (`deno task up --nodes 3`). */
export const CLUSTER_ENV = {
  KAFKA_BROKERS: [1, 2, 3].map((n) => `127.0.0.${n}:9092`).join(","),
  CASSANDRA_CONTACT_POINTS: [1, 2, 3].map((n) => `127.0.0.${n}`).join(","),
};

/** init-schema flags for data replicated on all three nodes of the cluster. */
export const REPLICATED_SCHEMA_FLAGS = [
  "--partitions",
  "6",
  "--replication-factor",
  "3",
  "--keyspace-replication",
  "datacenter1:3",
];

/** What polling ended with: the last value seen (if any), whether it was accepted, the last error. */
export interface Polled<T> {
  value?: T;
  accepted: boolean;
  error?: unknown;
}

/**
 * Calls `probe` until `accept` takes its value or `timeoutMs` has passed, `everyMs` apart. A
 * probe that throws (a node restarting, a server not up yet) is tried again; its last error is
 * kept for the caller's message.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 300,
): Promise<Polled<T>> {
  const deadline = Date.now() + timeoutMs;
  const polled: Polled<T> = { accepted: false };
  for (;;) {
    try {
      polled.value = await probe();
      if (accept(polled.value)) return { ...polled, accepted: true };
    } catch (error) {
      polled.error = error;
    }
    if (Date.now() >= deadline) return polled;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A count (`count()`, e.g. a table's rows) once it reaches `expected`, or the last count when
 * time is up; the caller asserts. Throws only when the count could never be read.
 */
export async function waitForCount(
  count: () => Promise<number>,
  expected: number,
  timeoutMs: number,
  everyMs = 300,
): Promise<number> {
  const polled = await pollUntil(count, (n) => n >= expected, timeoutMs, everyMs);
  if (polled.value === undefined) {
    throw new Error(`Could not count: ${String(polled.error).slice(0, 500)}`, {
      cause: polled.error,
    });
  }
  return polled.value;
}

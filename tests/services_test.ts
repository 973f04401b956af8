/** The real local services answer the clients the project uses, under Deno. */
import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../lib/core/resources.ts";
import { CompressionTypes } from "../lib/kafka/kafkajs.ts";
import { KafkaClient } from "../lib/kafka/client.ts";
import type { Logger } from "../lib/core/log.ts";
import { cassandraForTests, cleanUp, testConnections, uniqueName } from "./support/helpers.ts";

const quiet: Logger = { info() {}, warn() {}, debug() {} };

Deno.test("kafkajs creates a topic, produces gzip and consumes it back in a consumer group", async () => {
  const topic = uniqueName("kafka");
  const kafka = new KafkaClient(testConnections().kafka, quiet);
  try {
    const created = await kafka.ensureTopics([{ topic, numPartitions: 1, replicationFactor: 1 }]);
    assert.deepEqual(created.created, [topic]);
    const again = await kafka.ensureTopics([{ topic, numPartitions: 1, replicationFactor: 1 }]);
    assert.deepEqual(again, { created: [], existing: [topic] });

    const producer = await kafka.producer();
    const values = Array.from(
      { length: 20 },
      (_, i) => JSON.stringify({ n: i, text: "x".repeat(100) }),
    );
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: values.map((value, i) => ({ key: `k${i % 3}`, value })),
    });

    const consumer = await kafka.consumer({ groupId: uniqueName("group"), maxWaitTimeInMs: 200 });
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} messages`)), 20_000);
      consumer.run({
        eachMessage: ({ message }) => {
          // kafkajs wants a promise back; the handler itself has nothing to wait for.
          received.push(message.value!.toString());
          if (received.length === values.length) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
    assert.deepEqual(received, values);

    // On the jar-run broker the log segment is on disk: its record batch says gzip (codec 1).
    const segment = `${PROJECT_ROOT}/.services/kafka/data/${topic}-0/00000000000000000000.log`;
    const bytes = await Deno.readFile(segment).catch(() => undefined);
    if (bytes !== undefined) {
      // Batch header: baseOffset 8, length 4, leader epoch 4, magic 1, crc 4, then attributes.
      const attributes = new DataView(bytes.buffer).getInt16(21);
      assert.equal(bytes[16], 2, "record batch format v2");
      assert.equal(attributes & 0x07, 1, "the batch is gzip-compressed");
    }
  } finally {
    await kafka.close();
    await cleanUp({ topic });
  }
});

Deno.test("cassandra-driver creates a keyspace and table, writes and reads a row with a prepared statement", async () => {
  const keyspace = uniqueName("cql");
  const cassandra = await cassandraForTests();
  try {
    await cassandra.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
      [],
      { prepare: false },
    );
    await cassandra.execute(
      `CREATE TABLE ${keyspace}.t (k text, at timestamp, v int, PRIMARY KEY (k, at))`,
      [],
      { prepare: false },
    );
    const at = new Date("2024-03-01T10:00:00.123Z");
    await cassandra.execute(`INSERT INTO ${keyspace}.t (k, at, v) VALUES (?, ?, ?)`, [
      "Ada",
      at,
      7,
    ]);
    const row = (await cassandra.execute(`SELECT at, v FROM ${keyspace}.t WHERE k = ?`, ["Ada"]))
      .first();
    assert.equal(row.get("v"), 7);
    assert.equal((row.get("at") as Date).toISOString(), at.toISOString());
  } finally {
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { prepare: false });
    await cassandra.close();
  }
});

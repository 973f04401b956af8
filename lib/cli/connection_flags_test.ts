import assert from "node:assert/strict";
import { readConnection } from "./connection_flags.ts";

Deno.test("readConnection() defaults to loopback and the data center of a local node", () => {
  const options = readConnection([], {});
  assert.deepEqual(options.kafka.brokers, ["127.0.0.1:9092"]);
  assert.deepEqual(options.cassandra.contactPoints, ["127.0.0.1:9042"]);
  assert.equal(options.cassandra.localDataCenter, "datacenter1");
  assert.equal(options.kafka.sasl, undefined);
  assert.equal(options.cassandra.credentials, undefined);
});

Deno.test("readConnection() adds default ports and keeps IPv6 brackets", () => {
  const options = readConnection(
    ["--brokers", "a, b:19092,[::1]:9093", "--contact-points", "c,[::1]"],
    {},
  );
  assert.deepEqual(options.kafka.brokers, ["a:9092", "b:19092", "[::1]:9093"]);
  assert.deepEqual(options.cassandra.contactPoints, ["c:9042", "[::1]:9042"]);
});

Deno.test("readConnection() refuses half-given credentials and bad host lists", () => {
  assert.throws(() => readConnection([], { KAFKA_USERNAME: "u" }), /Kafka SASL needs both/);
  assert.throws(
    () => readConnection([], { CASSANDRA_PASSWORD: "p" }),
    /Cassandra authentication needs both/,
  );
  assert.throws(() => readConnection(["--brokers", ","], {}), /--brokers needs at least one host/);
  assert.throws(
    () => readConnection(["--brokers", "a:99999"], {}),
    /'a:99999' is not host or host:port/,
  );
  assert.throws(
    () => readConnection([], { KAFKA_SASL_MECHANISM: "kerberos" }),
    /--kafka-sasl-mechanism takes one of/,
  );
});

Deno.test("readConnection() reads credentials and TLS from the environment", () => {
  const options = readConnection([], {
    CASSANDRA_USERNAME: "cass",
    CASSANDRA_PASSWORD: "secret",
    CASSANDRA_TLS: "1",
    CASSANDRA_LOCAL_DC: "eu-west",
  });
  assert.deepEqual(options.cassandra.credentials, { username: "cass", password: "secret" });
  assert.equal(options.cassandra.tls, true);
  assert.equal(options.cassandra.localDataCenter, "eu-west");
});

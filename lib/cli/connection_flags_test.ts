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
  assert.deepEqual(options.cassandra.tls, {
    ca: undefined,
    cert: undefined,
    key: undefined,
    verifyHostname: true,
  });
  assert.equal(options.cassandra.localDataCenter, "eu-west");
});

Deno.test("readConnection() reads TLS files and password files, and names a bad one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pem = (kind: string) => `-----BEGIN ${kind}-----\nAAAA\n-----END ${kind}-----\n`;
    await Deno.writeTextFile(`${dir}/ca.pem`, pem("CERTIFICATE"));
    await Deno.writeTextFile(`${dir}/client.pem`, pem("CERTIFICATE"));
    await Deno.writeTextFile(`${dir}/client.key`, pem("PRIVATE KEY"));
    await Deno.writeTextFile(`${dir}/kafka.pw`, "s3cret\n");
    await Deno.writeTextFile(`${dir}/empty.pw`, "\n");
    const options = readConnection([
      "--kafka-ca",
      `${dir}/ca.pem`,
      "--kafka-cert",
      `${dir}/client.pem`,
      "--kafka-key",
      `${dir}/client.key`,
      "--kafka-username",
      "u",
    ], { KAFKA_PASSWORD_FILE: `${dir}/kafka.pw` });
    // A CA alone turns TLS on; the password file's newline is not part of the password.
    assert.deepEqual(options.kafka.tls, {
      ca: pem("CERTIFICATE"),
      cert: pem("CERTIFICATE"),
      key: pem("PRIVATE KEY"),
      verifyHostname: true,
    });
    assert.equal(options.kafka.sasl?.password, "s3cret");
    assert.equal(options.cassandra.tls, undefined);
    assert.equal(
      readConnection(["--cassandra-tls", "--insecure-skip-hostname-verification"], {}).cassandra
        .tls?.verifyHostname,
      false,
    );
    assert.throws(
      () => readConnection(["--kafka-ca", `${dir}/missing.pem`], {}),
      /Flag --kafka-ca: cannot read '.*missing\.pem': no such file/,
    );
    assert.throws(
      () => readConnection([], { CASSANDRA_CA_FILE: `${dir}/client.key` }),
      /--cassandra-ca: '.*client\.key' holds no PEM certificate \(set by CASSANDRA_CA_FILE\)/,
    );
    assert.throws(
      () => readConnection(["--kafka-cert", `${dir}/client.pem`], {}),
      /needs both --kafka-cert and --kafka-key/,
    );
    assert.throws(
      () =>
        readConnection(["--cassandra-username", "u", "--cassandra-password", "p"], {
          CASSANDRA_PASSWORD_FILE: `${dir}/kafka.pw`,
        }),
      /Give the Cassandra password once/,
    );
    assert.throws(
      () => readConnection(["--kafka-password-file", `${dir}/empty.pw`], {}),
      /'.*empty\.pw' is empty/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

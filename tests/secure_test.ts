/**
 * The pipeline against servers that demand TLS and authentication (`deno task up --secure`):
 * end to end with the least-privilege user, every way of connecting wrongly as a clear exit 3,
 * refused rights as clear errors that create nothing, and no secret in any output.
 */
import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../lib/core/resources.ts";
import { readPassword, secretsIn, secureEnvironment } from "../services/secrets.ts";
import { assertNoStackTrace as noStackTrace, runCli, uniqueName } from "./support/helpers.ts";

const secrets = secretsIn(`${PROJECT_ROOT}/.services/secure`);
try {
  await Deno.stat(`${secrets.dir}/.complete`);
} catch {
  throw new Error(
    "The secure services are not set up: run 'deno task up --secure' (deno task test does)",
  );
}
const pipeline = Object.fromEntries(secureEnvironment(secrets, "pipeline"));
const admin = Object.fromEntries(secureEnvironment(secrets, "admin"));
/** Every secret the secure services hold: none may appear in any output. */
const SECRET_VALUES = await Promise.all(
  [secrets.storePasswordFile, ...Object.values(secrets.passwordFiles)].map(readPassword),
);
const PRIVATE_KEYS = await Promise.all(
  [secrets.clientKeyFile, `${secrets.dir}/ca.key`, `${secrets.dir}/server.key`].map(async (f) =>
    (await Deno.readTextFile(f)).split("\n")[1]
  ),
);

/** Every line any run printed, to check for secrets at the end. */
const printed: string[] = [];

async function cli(args: string[], env: Record<string, string>) {
  // Only the settings given here: nothing leaks in from the test's own environment.
  const run = await runCli(args, env);
  printed.push(run.stdout, run.stderr);
  return run;
}

async function ok(args: string[], env: Record<string, string>) {
  const run = await cli(args, env);
  assert.equal(run.code, 0, `./reviews ${args.join(" ")}\n${run.stdout}\n${run.stderr}`);
  return run;
}

Deno.test("the whole pipeline runs through SASL_SSL and Cassandra auth + TLS as the least-privilege user", async () => {
  const id = uniqueName("secure");
  const flags = ["--topic", id, "--keyspace", id];
  const schema = await ok(["init-schema", ...flags, "--grant", "pipeline", "--group", id], admin);
  assert.match(schema.stdout, new RegExp(`Kafka user pipeline: may produce to and consume ${id}`));
  assert.match(
    schema.stdout,
    new RegExp(`Cassandra role pipeline: SELECT and MODIFY on keyspace ${id}`),
  );
  const produced = await ok(
    ["produce", ...flags, "--count", "2000", "--rate", "max", "--seed", "5", "--me", "Ada"],
    pipeline,
  );
  assert.match(produced.stdout, /^Sent 2000 reviews/m);
  const streamed = await ok(
    ["stream", ...flags, "--available-now", "--interval", "1s", "--group", id],
    pipeline,
  );
  assert.match(streamed.stdout, /2000 events, 2000 rows written, 0 dead-lettered/);
  const count = await ok(
    ["query", "cql", ...flags, `SELECT COUNT(*) AS n FROM ${id}.movie_reviews`, "--json"],
    pipeline,
  );
  assert.equal(JSON.parse(count.stdout)[0].n, 2000);
  const sample = await ok(["query", "sample", ...flags, "--limit", "3", "--json"], pipeline);
  assert.equal(JSON.parse(sample.stdout).length, 3);
  // A replay under the same group changes nothing: the offsets were committed.
  const again = await ok(
    ["stream", ...flags, "--available-now", "--interval", "1s", "--group", id],
    pipeline,
  );
  assert.match(again.stdout, /0 events, 0 rows written/);
  await ok(["query", "cql", ...flags, `DROP KEYSPACE ${id}`], admin);
});

const SECURE_KAFKA = pipeline.KAFKA_BROKERS;
const SECURE_CASSANDRA = pipeline.CASSANDRA_CONTACT_POINTS;
const wrongPasswordFile = await Deno.makeTempFile({ prefix: "reviews_wrong_" });
await Deno.writeTextFile(wrongPasswordFile, "not-the-password\n");

/** A setting changed, or removed with undefined. */
function changed(base: Record<string, string>, changes: Record<string, string | undefined>) {
  const env: Record<string, string> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

const kafkaCases: [string, Record<string, string | undefined>, string, RegExp, RegExp][] = [
  [
    "a wrong Kafka password",
    { KAFKA_PASSWORD_FILE: wrongPasswordFile },
    SECURE_KAFKA,
    /SASL handshake failed: .*invalid credentials/,
    /Check --kafka-sasl-mechanism, the user name and the password/,
  ],
  [
    "an unknown Kafka user",
    { KAFKA_USERNAME: "nobody" },
    SECURE_KAFKA,
    /SASL handshake failed/,
    /the user name and the password/,
  ],
  [
    "an untrusted Kafka certificate",
    { KAFKA_CA_FILE: undefined, KAFKA_TLS: "1" },
    SECURE_KAFKA,
    /certificate is not trusted/,
    /--kafka-ca FILE \(KAFKA_CA_FILE\)/,
  ],
  [
    "a plaintext client against Kafka's TLS port",
    { KAFKA_CA_FILE: undefined, KAFKA_CERT_FILE: undefined, KAFKA_KEY_FILE: undefined },
    SECURE_KAFKA,
    /hung up on a plaintext client/,
    /add --kafka-tls/,
  ],
  [
    "a TLS client against Kafka's plaintext port",
    { KAFKA_BROKERS: "127.0.0.1:9092" },
    "127.0.0.1:9092",
    /the port does not speak TLS/,
    /drop --kafka-tls/,
  ],
  [
    "no client certificate for Kafka",
    { KAFKA_CERT_FILE: undefined, KAFKA_KEY_FILE: undefined },
    SECURE_KAFKA,
    /may require a client certificate/,
    /--kafka-cert FILE and --kafka-key FILE/,
  ],
];

const cassandraCases: typeof kafkaCases = [
  [
    "a wrong Cassandra password",
    { CASSANDRA_PASSWORD_FILE: wrongPasswordFile },
    SECURE_CASSANDRA,
    /refused the credentials: .*username pipeline and\/or password are incorrect/,
    /Check --cassandra-username and the password/,
  ],
  [
    "an unknown Cassandra user",
    { CASSANDRA_USERNAME: "nobody" },
    SECURE_CASSANDRA,
    /refused the credentials/,
    /Check --cassandra-username/,
  ],
  [
    "an untrusted Cassandra certificate",
    { CASSANDRA_CA_FILE: undefined, CASSANDRA_TLS: "1" },
    SECURE_CASSANDRA,
    /certificate is not trusted/,
    /--cassandra-ca FILE \(CASSANDRA_CA_FILE\)/,
  ],
  [
    "a plaintext client against Cassandra's TLS port",
    { CASSANDRA_CA_FILE: undefined, CASSANDRA_CERT_FILE: undefined, CASSANDRA_KEY_FILE: undefined },
    SECURE_CASSANDRA,
    /hung up on a plaintext client/,
    /add --cassandra-tls/,
  ],
  [
    "a TLS client against Cassandra's plaintext port",
    { CASSANDRA_CONTACT_POINTS: "127.0.0.1:9042" },
    "127.0.0.1:9042",
    /the port does not speak TLS/,
    /drop --cassandra-tls/,
  ],
  [
    "no client certificate for Cassandra",
    { CASSANDRA_CERT_FILE: undefined, CASSANDRA_KEY_FILE: undefined },
    SECURE_CASSANDRA,
    /may require a client certificate/,
    /--cassandra-cert FILE and --cassandra-key FILE/,
  ],
];

Deno.test("each wrong way to connect is a clear error within seconds: host, port, what to check, exit 3", async (t) => {
  for (
    const [name, changes, endpoint, problem, hint, command] of [
      ...kafkaCases.map((c) => [...c, ["produce", "--count", "1"]] as const),
      ...cassandraCases.map((c) => [...c, ["query", "sample", "--limit", "1"]] as const),
    ]
  ) {
    await t.step(name, async () => {
      const run = await cli([...command], changed(pipeline, changes));
      assert.equal(run.code, 3, run.stderr);
      assert.ok(run.seconds < 15, `took ${run.seconds} s`);
      assert.match(run.stderr, new RegExp(`^error: .*${endpoint.replaceAll(".", "\\.")}`, "m"));
      assert.match(run.stderr, problem);
      assert.match(run.stderr, new RegExp(`^hint: .*${hint.source}`, "m"));
      noStackTrace(run.stderr);
    });
  }
});

Deno.test("the pipeline user gets a clear permission error for what it may not do, and nothing is created", async (t) => {
  const other = uniqueName("forbidden");
  await t.step("creating topics and a keyspace (init-schema)", async () => {
    const run = await cli(["init-schema", "--topic", other, "--keyspace", other], pipeline);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /Kafka refused to create topic .*TOPIC_AUTHORIZATION_FAILED/);
    assert.match(run.stderr, /hint: User pipeline lacks the right to/);
    noStackTrace(run.stderr);
  });
  await t.step("creating a keyspace in CQL", async () => {
    const run = await cli([
      "query",
      "cql",
      `CREATE KEYSPACE ${other} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    ], pipeline);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /User pipeline has no CREATE permission/);
  });
  await t.step("writing to a topic it was not granted", async () => {
    // The admin makes the topic, without a grant.
    const made = await ok(["init-schema", "--topic", other, "--keyspace", other], admin);
    // "created", not "already exists": the refused init-schema made neither topic.
    assert.match(made.stdout, new RegExp(`^Kafka topic ${other}: created`, "m"));
    assert.match(made.stdout, new RegExp(`^Kafka topic ${other}\\.dlq: created`, "m"));
    const run = await cli(["produce", "--topic", other, "--count", "1"], pipeline);
    assert.notEqual(run.code, 0);
    assert.match(
      run.stderr,
      new RegExp(`Kafka topic ${other} does not exist, or user pipeline may not see it`),
    );
    // Nothing was written: the topic is empty, as the admin sees it.
    const ends = await ok([
      "query",
      "cql",
      `SELECT COUNT(*) AS n FROM ${other}.movie_reviews`,
      "--json",
    ], admin);
    assert.equal(JSON.parse(ends.stdout)[0].n, 0);
    await ok(["query", "cql", `DROP KEYSPACE ${other}`], admin);
  });
  await t.step("nothing the refused init-schema asked for exists", async () => {
    const keyspaces = await ok([
      "query",
      "cql",
      `SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = '${other}'`,
      "--json",
    ], admin);
    assert.deepEqual(JSON.parse(keyspaces.stdout), []);
  });
});

Deno.test("--debug traces, failures included, never show a password or a private key", async () => {
  await cli(
    ["produce", "--count", "1", "--debug"],
    changed(pipeline, { KAFKA_PASSWORD_FILE: wrongPasswordFile }),
  );
  await cli(
    ["query", "sample", "--limit", "1", "--debug"],
    changed(pipeline, { CASSANDRA_PASSWORD_FILE: wrongPasswordFile }),
  );
  const id = uniqueName("secure_debug");
  const flags = ["--topic", id, "--keyspace", id];
  await ok(["init-schema", ...flags, "--grant", "pipeline", "--group", id, "--debug"], admin);
  await ok(["produce", ...flags, "--count", "20", "--rate", "max", "--debug"], pipeline);
  await ok(["stream", ...flags, "--available-now", "--group", id, "--debug"], pipeline);
  // Passwords given by value (the discouraged way) are not printed either.
  const byValue = await cli(
    [
      "query",
      "sample",
      ...flags,
      "--limit",
      "1",
      "--debug",
      "--cassandra-password",
      await readPassword(secrets.passwordFiles.cassandraPipeline),
    ],
    changed(pipeline, { CASSANDRA_PASSWORD_FILE: undefined }),
  );
  assert.equal(byValue.code, 0, byValue.stderr);
  const everything = printed.join("\n");
  assert.ok(everything.length > 1_000, "the runs printed something");
  for (const secret of [...SECRET_VALUES, ...PRIVATE_KEYS]) {
    assert.ok(!everything.includes(secret), "a secret appeared in the output");
  }
  await ok(["query", "cql", `DROP KEYSPACE ${id}`], admin);
});

Deno.test("--insecure-skip-hostname-verification says loudly that it is on", async () => {
  const run = await ok(
    [
      "query",
      "cql",
      "SELECT release_version FROM system.local",
      "--insecure-skip-hostname-verification",
    ],
    pipeline,
  );
  assert.match(run.stderr, /TLS HOSTNAME VERIFICATION IS OFF/);
});

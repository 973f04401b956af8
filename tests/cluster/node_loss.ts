/**
 * The pipeline on the local 3-node cluster (`deno task up --nodes 3`; run by
 * `deno task test:cluster`): a node of either service lost mid-stream loses nothing, two
 * Cassandra nodes lost stop the writes without committing anything until one is back, and three
 * members of one group share six partitions when one of them is killed.
 */
import assert from "node:assert/strict";
import {
  assertAllCommitted,
  cleanUp,
  CliProcess,
  CLUSTER_ENV,
  committedOffsets,
  distinctEvents,
  endOffsets,
  localService,
  REPLICATED_SCHEMA_FLAGS,
  runCliOk,
  uniqueName,
  waitForCount,
} from "../support/helpers.ts";
import { servicePid } from "../../services/local.ts";

// The test's own clients (helpers) read the same settings as the CLI.
for (const [key, value] of Object.entries(CLUSTER_ENV)) Deno.env.set(key, value);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGKILLs one node, as a crash would. */
async function kill(service: "kafka" | "cassandra", node: number): Promise<void> {
  const pid = await servicePid(`${service}-${node}`);
  if (pid === undefined) throw new Error(`${service} node ${node} is not running`);
  Deno.kill(pid, "SIGKILL");
  // Gone before the test goes on.
  for (let i = 0; i < 100; i++) {
    try {
      Deno.kill(pid, "SIGCONT");
    } catch {
      return;
    }
    await sleep(100);
  }
}

/** The rows of a table, read at QUORUM (a node that was down may still be catching up). */
async function rows(keyspace: string, table: string): Promise<number> {
  const run = await runCliOk([
    "query",
    "cql",
    `SELECT COUNT(*) AS n FROM ${keyspace}.${table}`,
    "--consistency",
    "quorum",
    "--json",
  ]);
  return JSON.parse(run.stdout)[0].n;
}

/** The table's row count (at QUORUM) once it reaches `expected`, or the last count. */
function waitForRows(keyspace: string, expected: number, timeoutMs: number) {
  return waitForCount(() => rows(keyspace, "movie_reviews"), expected, timeoutMs, 1_000);
}

/** A topic and keyspace replicated three times, topics with min.insync.replicas 2. */
async function replicated(prefix: string) {
  const id = uniqueName(prefix);
  const flags = ["--topic", id, "--keyspace", id];
  const init = await runCliOk(["init-schema", ...flags, ...REPLICATED_SCHEMA_FLAGS]);
  assert.match(init.stdout, /replication factor 3, min\.insync\.replicas 2/);
  assert.match(init.stdout, /NetworkTopologyStrategy, datacenter1=3/);
  return { id, flags };
}

function streamOf(flags: string[], group: string, ...extra: string[]) {
  return new CliProcess([
    "stream",
    ...flags,
    "--group",
    group,
    "--interval",
    "500ms",
    ...extra,
  ]);
}

/** Waits until the group has committed every partition to its end (fails after `timeoutMs`). */
async function committedToEnd(group: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertAllCommitted(group, group);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(500);
  }
}

const noSanitizers = { sanitizeOps: false, sanitizeResources: false };

/**
 * Streams 12,000 events produced at 1,000 a second while one node is SIGKILLed and restarted,
 * then checks that produce and stream kept going, every row is stored and every offset committed.
 */
async function loseNodeUnderLoad(
  prefix: string,
  service: "kafka" | "cassandra",
  node: number,
  checkTopic: (id: string) => Promise<void>,
) {
  const { id, flags } = await replicated(prefix);
  const stream = streamOf(flags, id);
  try {
    await stream.waitFor(/Joined group/);
    const produce = new CliProcess([
      ...["produce", ...flags],
      "--rate",
      "1000",
      "--count",
      "12000",
    ]);
    await sleep(3_000);
    await kill(service, node);
    await sleep(5_000);
    await localService("up", `${service}:${node}`);
    const produced = await produce.finished();
    assert.equal(produced.code, 0, produced.stderr);
    assert.match(produced.stdout, /^Sent 12000 reviews/m);
    await checkTopic(id);
    assert.equal(await waitForRows(id, 12_000, 90_000), 12_000, stream.stderrLines.join("\n"));
    const stopped = await stream.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
    await assertAllCommitted(id, id);
  } finally {
    await stream.stop("SIGKILL");
    await localService("up", `${service}:${node}`);
    await cleanUp({ keyspace: id, topic: id });
  }
}

Deno.test({
  name: "a Cassandra node SIGKILLed under a LOCAL_QUORUM stream, then restarted: nothing lost",
  ...noSanitizers,
}, () => loseNodeUnderLoad("cass_node", "cassandra", 3, () => Promise.resolve()));

Deno.test({
  name:
    "a Kafka broker SIGKILLed under produce --rate 1000 and a stream, then restarted: nothing lost",
  ...noSanitizers,
}, () =>
  loseNodeUnderLoad("kafka_node", "kafka", 2, async (id) => {
    // Every event in the topic once: none lost with the broker (see lib/kafka/kafkajs_send.ts),
    // none written twice by a retried send (the idempotent producer).
    const ends = await endOffsets(id);
    assert.equal([...ends.values()].reduce((a, b) => a + b, 0), 12_000);
    // A consumer's first fetches after a broker's return can take a while: read patiently.
    assert.equal(await distinctEvents(id, 12_000, "movies", 120_000), 12_000);
  }));

Deno.test({
  name:
    "two Cassandra nodes down: writes fail, the stream says so and commits nothing, then catches up",
  ...noSanitizers,
}, async () => {
  const { id, flags } = await replicated("two_down");
  const stream = streamOf(flags, id);
  try {
    await stream.waitFor(/Joined group/);
    await kill("cassandra", 2);
    await kill("cassandra", 3);
    await runCliOk([...["produce", ...flags], "--rate", "max", "--count", "600"]);
    // Every retry says what failed, at which consistency.
    await stream.waitFor(/Writing to Cassandra failed \(attempt 3\)/, 60_000);
    const warnings = stream.stderrLines.filter((line) => /Writing to Cassandra failed/.test(line));
    assert.ok(
      warnings.every((line) =>
        /LOCAL_QUORUM|Cannot achieve consistency|no Cassandra host/i.test(line)
      ),
      warnings.join("\n"),
    );
    assert.ok(warnings.every((line) => /will be read again/.test(line)));
    // Nothing is committed while the rows are not written.
    const committed = await committedOffsets(id, id);
    assert.ok(
      [...committed.values()].every((offset) => offset <= 0),
      JSON.stringify([...committed]),
    );
    await localService("up", "cassandra:2");
    assert.equal(
      await waitForRows(id, 600, 120_000),
      600,
      stream.stderrLines.slice(-20).join("\n"),
    );
    assert.equal((await stream.stop("SIGTERM")).code, 0);
    await assertAllCommitted(id, id);
  } finally {
    await stream.stop("SIGKILL");
    await localService("up", "cassandra:2");
    await localService("up", "cassandra:3");
    await cleanUp({ keyspace: id, topic: id });
  }
});

Deno.test({
  name:
    "three members split six partitions; one SIGKILLed, the others take its partitions; exact counts",
  ...noSanitizers,
}, async () => {
  const { id, flags } = await replicated("members");
  const members = [1, 2, 3].map(() => streamOf(flags, id, "--session-timeout", "6s"));
  try {
    for (const member of members) await member.waitFor(/Joined group/);
    await sleep(2_000);
    const produce = new CliProcess([...["produce", ...flags], "--rate", "1000", "--count", "9000"]);
    await sleep(3_000);
    await members[0].stop("SIGKILL");
    assert.equal((await produce.finished()).code, 0);
    const memberLogs = () =>
      members.slice(1).map((m, i) => `member ${i + 2}:\n${m.stderrLines.slice(-25).join("\n")}`)
        .join("\n");
    assert.equal(await waitForRows(id, 9_000, 90_000), 9_000, memberLogs());
    const ends = await endOffsets(id);
    assert.equal([...ends.values()].reduce((a, b) => a + b, 0), 9_000);
    // Rows are written before their offsets are committed, and the killed member's partitions
    // may still be changing hands: the survivors commit them to the end while they run.
    await committedToEnd(id, 60_000).catch((error) => {
      throw new Error(`${error.message}\n${memberLogs()}`);
    });
    // The survivors stop cleanly, every partition committed to its end.
    const stopped = await Promise.all(members.slice(1).map((m) => m.stop("SIGTERM")));
    assert.deepEqual(stopped.map((s) => s.code), [0, 0]);
    await assertAllCommitted(id, id);
  } finally {
    await Promise.all(members.map((m) => m.stop("SIGKILL")));
    await cleanUp({ keyspace: id, topic: id });
  }
});

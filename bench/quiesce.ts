/**
 * Puts the local Cassandra node at rest between two contenders of the bench: flushes its
 * memtables and waits for the compactions that follow. A node flushes and compacts the rows of
 * one run while the next run is writing, so without this each contender would pay, at random,
 * for the background work its predecessor left (the stream runs right after three ceiling runs,
 * 1.5 million rows). Uses Cassandra's own nodetool over the plain node's local JMX port.
 */
import { cassandraJvmOptions, jarDirectory } from "../services/local.ts";
import { PROJECT_ROOT } from "../lib/core/resources.ts";

const JMX_PORT = "7199";
/** How long compactions may take to drain before the bench goes on anyway. */
const SETTLE_LIMIT_MS = 120_000;

/** The module flags Cassandra's classes need on Java 17, as the server is started with. */
const moduleFlags = cassandraJvmOptions().then((options) =>
  options.filter((option) => option.startsWith("--add-"))
);

/** Runs one nodetool command; its stdout. */
async function nodetool(...args: string[]): Promise<string> {
  const output = await new Deno.Command("java", {
    args: [
      ...await moduleFlags,
      `-Dlogback.configurationFile=${PROJECT_ROOT}/services/cassandra/logback.xml`,
      "-cp",
      `${jarDirectory("cassandra")}/*`,
      "org.apache.cassandra.tools.NodeTool",
      "-h",
      "127.0.0.1",
      "-p",
      JMX_PORT,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `nodetool ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}${stdout}`,
    );
  }
  return stdout;
}

/** Flushes every table, then waits (bounded) until no compaction runs or waits. */
export async function quiesceCassandra(): Promise<void> {
  await nodetool("flush");
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  while (Date.now() < deadline) {
    const stats = await nodetool("compactionstats");
    const pending = Number(stats.match(/pending tasks\s*:?\s*(\d+)/i)?.[1] ?? 0);
    const active = /\bCompaction\b.*\d+.*%/.test(stats);
    if (pending === 0 && !active) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  console.error(`Cassandra still compacting after ${SETTLE_LIMIT_MS / 1000} s; going on`);
}

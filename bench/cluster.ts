/**
 * `deno task bench --nodes 3`: `stream --available-now` on the same 500,000-event backlog
 * (BENCH_EVENTS), first on the single node, then on a local 3-node cluster (replication factor 3,
 * LOCAL_QUORUM) with 1, 2 and 3 members in one group; all in one run. The single node and the
 * cluster share ports, so the bench swaps them, and leaves the single node running, as it found it.
 */
import {
  cleanUp,
  CLUSTER_ENV,
  localService,
  REPLICATED_SCHEMA_FLAGS,
  uniqueName,
} from "../tests/support/helpers.ts";
import { measureCli, Results } from "./measure.ts";

const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 500_000);

/** Drains the backlog with `members` processes in one group; events per second, start to exit. */
async function drain(flags: string[], group: string, members: number, env = {}) {
  const started = performance.now();
  const runs = await Promise.all(
    Array.from({ length: members }, () =>
      measureCli([
        "stream",
        ...flags,
        "--available-now",
        "--group",
        group,
        "--available-now-timeout",
        "30m",
      ], env)),
  );
  const seconds = (performance.now() - started) / 1000;
  const events = runs.reduce(
    (sum, run) => sum + Number(run.stdout.match(/after \d+ batches: (\d+) events/)?.[1] ?? NaN),
    0,
  );
  if (events !== EVENTS) throw new Error(`${members} members read ${events} events, not ${EVENTS}`);
  return { perSecond: EVENTS / seconds, peakMiB: Math.max(...runs.map((run) => run.peakMiB)) };
}

/** Produces the backlog into a new topic and keyspace; returns their flags. */
async function backlog(prefix: string, init: string[], env: Record<string, string> = {}) {
  const id = uniqueName(prefix);
  const flags = ["--topic", id, "--keyspace", id];
  await measureCli(["init-schema", ...flags, ...init], env);
  const produced = await measureCli(
    ["produce", ...flags, "--count", String(EVENTS), "--rate", "max", "--seed", "1"],
    env,
  );
  return { id, flags, producePerSecond: Number(produced.stdout.match(/\((\d+)\/s\)/)?.[1]) };
}

export async function benchCluster(): Promise<Results> {
  const results = new Results();
  const per = `${EVENTS.toLocaleString("en-US")} events`;

  console.error("Single node: producing the backlog, then one stream member");
  await localService("up", "kafka");
  await localService("up", "cassandra");
  const single = await backlog("bench_single", ["--partitions", "6"]);
  const one = await drain(single.flags, single.id, 1);
  await cleanUp({ keyspace: single.id, topic: single.id });
  results.add(`single node: produce --rate max (${per})`, single.producePerSecond, "events/s");
  results.add(`single node: stream --available-now, 1 member (${per})`, one.perSecond, "events/s");

  console.error("Swapping the single node for a 3-node cluster");
  await localService("down", "--nodes", "1");
  await localService("up", "--nodes", "3");
  try {
    const cluster = await backlog("bench_cluster", REPLICATED_SCHEMA_FLAGS, CLUSTER_ENV);
    results.add(
      `3 nodes, RF 3: produce --rate max, acks=all, min.insync.replicas 2 (${per})`,
      cluster.producePerSecond,
      "events/s",
    );
    const rates: number[] = [];
    for (const members of [1, 2, 3]) {
      console.error(`Cluster: ${members} member(s)`);
      const drained = await drain(cluster.flags, `${cluster.id}_${members}`, members, CLUSTER_ENV);
      rates.push(drained.perSecond);
      results.add(
        `3 nodes, RF 3, LOCAL_QUORUM: stream --available-now, ${members} member${
          members > 1 ? "s" : ""
        } (${per})`,
        drained.perSecond,
        "events/s",
      );
    }
    results.ratio("3 nodes, 1 member / single node, 1 member", rates[0], one.perSecond);
    results.ratio("3 nodes, 3 members / 3 nodes, 1 member", rates[2], rates[0]);
  } finally {
    await localService("down", "--nodes", "3", "--wipe");
    await localService("up");
  }
  return results;
}

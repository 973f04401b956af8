/**
 * `deno task bench`: measures what the README's performance table reports and checks the targets.
 *
 * In process: loading the catalogs (the real Kaggle files when ../shared/datasets is there) and
 * validating plus enriching events. Against the local services (`deno task up` first), on one
 * backlog of BENCH_EVENTS events (500,000 by default), BENCH_ROUNDS times (3), interleaved so the
 * machine's noise falls on every contender alike, medians reported:
 * - the write ceiling: the Node driver as published inserting the stream's rows (a) one per
 *   request and (b) grouped by partition key into UNLOGGED batches, no Kafka; (b) again with the
 *   stream's frame writing (lib/cassandra/driver_patches.ts);
 * - `stream --available-now`, process start to exit, and its peak resident memory;
 * each of these four on a Cassandra at rest (flushed, compactions done: bench/quiesce.ts);
 * - where the CPU of (b) and of the stream goes, per row: the client's, Cassandra's and (stream)
 *   the broker's, when the services are the ones `deno task up` started;
 * - `produce --rate max` against Kafka's own ProducerPerformance on the same records;
 * - end-to-end latency: `produce --rate 2000` for 60 s into `stream --interval 1s`, p50/p99 from
 *   the stream's histogram, max from its progress (LATENCY_RATE, LATENCY_SECONDS).
 * Prints a Markdown table; exits 1 when a target is missed.
 */
import { CassandraClient } from "../lib/cassandra/client.ts";
import { loadCatalog, loadMapping } from "../lib/pipeline/catalog.ts";
import { readConnection } from "../lib/cli/connection_flags.ts";
import { datasetByName, withOverrides } from "../lib/pipeline/dataset.ts";
import { decodeEvent, enrich, enrichFields, eventJson } from "../lib/pipeline/event.ts";
import { producedEventReader } from "../lib/pipeline/event_bytes.ts";
import { KafkaClient } from "../lib/kafka/client.ts";
import { StderrLogger } from "../lib/core/log.ts";
import { dataPath } from "../lib/core/resources.ts";
import { haveSharedDatasets, sharedDataset } from "../tests/support/datasets.ts";
import { cleanUp, CLI, readTopic, uniqueName } from "../tests/support/helpers.ts";
import { rowsOf, writeGrouped, writeOneByOne } from "./ceiling.ts";
import { kafkajsCeiling, producerPerformance } from "./kafka_perf.ts";
import { measureLatency } from "./latency.ts";
import { quiesceCassandra } from "./quiesce.ts";
import { cpuDuring, measureCli, median, medianTime, Results, seconds } from "./measure.ts";
import { servicePid } from "../services/local.ts";

// `deno task bench --nodes 3`: the cluster's figures instead (bench/cluster.ts).
if (Deno.args.includes("--nodes")) {
  const { benchCluster } = await import("./cluster.ts");
  const figures = await benchCluster();
  console.log(figures.table());
  Deno.exit(figures.ok ? 0 : 1);
}

const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 500_000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
/** The stream's defaults, so the ceiling writes the way the stream does. */
const WRITER = { maxRows: 100, maxBytes: 5 * 1024, concurrency: 64 };

const results = new Results();
const movies = datasetByName("movies");
const songs = datasetByName("songs");
const haveShared = haveSharedDatasets;

// Catalog loading.
if (haveShared) {
  const netflix = await medianTime(
    7,
    () => loadCatalog(sharedDataset("netflix_titles.csv"), movies),
  );
  results.add("load netflix_titles.csv (8,807 rows)", netflix, "ms", "< 500 ms", netflix < 500);
  const mapping = await loadMapping(dataPath("mappings/spotify-2023.json"));
  const spotify = await medianTime(
    7,
    () => loadCatalog(sharedDataset("spotify-2023.csv"), songs, { mapping }),
  );
  results.add("load spotify-2023.csv with its mapping", spotify, "ms", "< 200 ms", spotify < 200);
}
const bundled = await medianTime(7, () => loadCatalog(dataPath("movies.csv"), movies));
results.add("load data/movies.csv (3,000 rows)", bundled, "ms", "< 300 ms", bundled < 300);

// Start-up: `./reviews --help` against a bare `deno run` of an empty script.
{
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  const run = (command: string, args: string[]) => () =>
    new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
  const bare = await medianTime(9, run(Deno.execPath(), ["run", empty]));
  const help = await medianTime(9, run(CLI, ["--help"]));
  const usage = await medianTime(9, run(CLI, ["stream", "--bogus"]));
  await Deno.remove(empty);
  results.add("bare `deno run` of an empty script", bare, "ms");
  results.add("`./reviews --help`", help, "ms", "< 100 ms", help < 100);
  results.add("`./reviews stream --bogus` (a usage error)", usage, "ms", "< 100 ms", usage < 100);
}

// Validation and enrichment, in process.
{
  const catalog = await loadCatalog(dataPath("movies.csv"), movies);
  const titles = [...catalog.entries.keys()];
  const encoder = new TextEncoder();
  const values = Array.from({ length: 100_000 }, (_, i) =>
    encoder.encode(eventJson({
      person: `Person ${i % 50}`,
      item: titles[i % titles.length],
      time: new Date(1_709_287_200_000 + i),
      measures: [1 + (i % 10)],
    }, movies)));
  const ms = await medianTime(5, () => {
    for (const value of values) {
      const decoded = decodeEvent(value, movies);
      if (decoded.ok) enrich(decoded.event, catalog, movies.attributes.length);
    }
    return Promise.resolve();
  });
  const rate = values.length / (ms / 1000);
  results.add("validate + enrich (in process)", rate, "events/s", "> 200,000", rate > 200_000);
  // The stream's own path for the producer's layout: the same values, read where they lie.
  const reader = producedEventReader(movies);
  const inPlace = await medianTime(5, () => {
    for (const value of values) {
      const fields = reader.read(value, 0, value.length);
      if (fields !== undefined) {
        const { person, item, millis, measures } = fields;
        enrichFields(person, item, millis, measures, catalog, movies.attributes.length);
      }
    }
    return Promise.resolve();
  });
  results.add("read in place + enrich (in process)", values.length / (inPlace / 1000), "events/s");
}

// Against the local services.
const connections = readConnection([], Deno.env.toObject());
const logger = new StderrLogger(false);
const id = uniqueName("bench");
const perfTopics = { ours: `${id}_produce`, kafka: `${id}_perf`, kafkajs: `${id}_kafkajs` };
const keyspaces = {
  one: `${id}_one`,
  grouped: `${id}_grouped`,
  patched: `${id}_patched`,
  stream: `${id}_stream`,
};
const kafka = new KafkaClient(connections.kafka, logger);
const cassandra = new CassandraClient(connections.cassandra, logger);
try {
  for (const keyspace of Object.values(keyspaces)) {
    await measureCli(["init-schema", "--topic", id, "--keyspace", keyspace, "--partitions", "3"]);
  }
  await kafka.ensureTopics(
    Object.values(perfTopics).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
  );
  console.error(`Producing the backlog: ${EVENTS} events into ${id}`);
  await measureCli(["produce", "--topic", id, "--count", String(EVENTS), "--rate", "max"]);
  const messages = await readTopic(id, EVENTS, 300_000);
  const payloads = messages.slice(0, 10_000).map((m) => new TextDecoder().decode(m.value!));
  const rows = await rowsOf(messages, movies, id);
  messages.length = 0;
  await cassandra.connect();
  // The CPU each process spends per row, for the services this checkout started.
  const [cassandraPid, kafkaPid] = await Promise.all([
    servicePid("cassandra"),
    servicePid("kafka"),
  ]);
  const accounted = cassandraPid !== undefined && kafkaPid !== undefined;
  const pids: Record<string, number> = accounted
    ? { bench: Deno.pid, cassandra: cassandraPid, kafka: kafkaPid }
    : { bench: Deno.pid };
  /** Microseconds of CPU per row (or event) of `count`. */
  const perRow = (cpuSeconds: number, count: number) => (1e6 * cpuSeconds) / count;

  const figures = {
    one: [],
    grouped: [],
    patched: [],
    stream: [],
    rss: [],
    cpu: [],
    groupedClient: [],
    groupedCassandra: [],
    streamCassandra: [],
    streamKafka: [],
    produce: [],
    perf: [],
    kafkajs: [],
  } as Record<
    string,
    number[]
  >;
  for (let round = 1; round <= ROUNDS; round++) {
    console.error(`Round ${round} of ${ROUNDS}`);
    // Each contender starts on a node at rest, not in its predecessor's flushes and compactions.
    await quiesceCassandra();
    const one = withOverrides(movies, { keyspace: keyspaces.one });
    figures.one.push(rows.length / await seconds(() => writeOneByOne(cassandra, one, rows, 64)));
    await quiesceCassandra();
    const grouped = withOverrides(movies, { keyspace: keyspaces.grouped });
    const groupedRun = await cpuDuring(pids, () => writeGrouped(cassandra, grouped, rows, WRITER));
    figures.grouped.push(rows.length / groupedRun.seconds);
    if (accounted) {
      figures.groupedClient.push(perRow(groupedRun.cpu.bench, rows.length));
      figures.groupedCassandra.push(perRow(groupedRun.cpu.cassandra, rows.length));
    }
    await quiesceCassandra();
    const patched = withOverrides(movies, { keyspace: keyspaces.patched });
    figures.patched.push(
      rows.length /
        await seconds(() => writeGrouped(cassandra, patched, rows, WRITER, { patched: true })),
    );
    await quiesceCassandra();
    const { result: streamed, cpu } = await cpuDuring(pids, () =>
      measureCli([
        "stream",
        "--topic",
        id,
        "--keyspace",
        keyspaces.stream,
        "--available-now",
        "--group",
        `${id}_${round}`,
      ]));
    if (accounted) {
      figures.streamCassandra.push(perRow(cpu.cassandra, EVENTS));
      figures.streamKafka.push(perRow(cpu.kafka, EVENTS));
    }
    const events = Number(streamed.stdout.match(/(\d+) events/)?.[1]);
    if (events !== EVENTS) throw new Error(`stream read ${events} events, not ${EVENTS}`);
    figures.stream.push(events / streamed.seconds);
    figures.rss.push(streamed.peakMiB);
    figures.cpu.push((1e6 * streamed.cpu) / EVENTS);
    const produced = await measureCli(
      ["produce", "--topic", perfTopics.ours, "--count", String(EVENTS), "--rate", "max"],
    );
    figures.produce.push(Number(produced.stdout.match(/\((\d+)\/s\)/)?.[1]));
    const perf = await producerPerformance(
      connections.kafka.brokers,
      perfTopics.kafka,
      payloads,
      EVENTS,
    );
    figures.perf.push(perf.recordsPerSecond);
    figures.kafkajs.push(
      await kafkajsCeiling(kafka, perfTopics.kafkajs, payloads, EVENTS, 1500, 3),
    );
  }

  const m = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, median(v)]));
  const per = `${EVENTS.toLocaleString("en-US")} events`;
  results.add(`ceiling (a): driver, one row per request (${per})`, m.one, "rows/s");
  results.add(
    `ceiling (b): driver, partition-grouped UNLOGGED batches (${per})`,
    m.grouped,
    "rows/s",
  );
  results.add(
    `ceiling (b) with the stream's frame writing (driver patch), no Kafka (${per})`,
    m.patched,
    "rows/s",
  );
  results.add(`stream --available-now, process start to exit (${per})`, m.stream, "events/s");
  results.ratio("stream / ceiling (b)", m.stream, m.grouped, 0.8);
  results.ratio("stream / ceiling (a)", m.stream, m.one);
  results.ratio("stream / ceiling (b) with the stream's frame writing", m.stream, m.patched);
  results.add("stream process CPU per event (user + system)", m.cpu, "µs");
  if (accounted) {
    results.add("ceiling (b): client CPU per row", m.groupedClient, "µs");
    results.add("ceiling (b): Cassandra CPU per row", m.groupedCassandra, "µs");
    results.add("stream: Cassandra CPU per event", m.streamCassandra, "µs");
    results.add("stream: Kafka broker CPU per event", m.streamKafka, "µs");
    // Both keep the machine's cores busy, so their speeds go as the CPU each row costs in all.
    results.ratio(
      "CPU per row of ceiling (b) / of stream, all processes",
      m.groupedClient + m.groupedCassandra,
      m.cpu + m.streamCassandra + m.streamKafka,
    );
  }
  results.add(
    `stream peak resident memory (${per}, worst round)`,
    Math.max(...figures.rss),
    "MiB",
    "<= 200 MiB",
    Math.max(...figures.rss) <= 200,
  );
  results.add(`produce --rate max (${per})`, m.produce, "events/s");
  results.add("Kafka ProducerPerformance, same records, gzip, acks=all", m.perf, "records/s");
  results.add(
    "kafkajs alone: pre-built messages, same lanes, gzip, acks=all",
    m.kafkajs,
    "records/s",
  );
  results.ratio("produce / kafkajs alone", m.produce, m.kafkajs);
  results.ratio("produce / ProducerPerformance", m.produce, m.perf, 0.8);

  const rate = Number(Deno.env.get("LATENCY_RATE") ?? 2_000);
  const duration = Number(Deno.env.get("LATENCY_SECONDS") ?? 60);
  console.error(`End-to-end latency: produce --rate ${rate} for ${duration} s into stream`);
  const latency = await measureLatency(rate, duration);
  const load = `produce --rate ${rate} for ${duration} s, stream --interval 1s`;
  results.add(`end-to-end latency p50 (${load})`, latency.p50, "s");
  results.add(
    `end-to-end latency p99 (${load})`,
    latency.p99,
    "s",
    `<= ${latency.intervalSeconds + 1} s`,
    latency.p99 <= latency.intervalSeconds + 1,
  );
  results.add(`end-to-end latency max (${load})`, latency.max, "s");
} finally {
  await cassandra.close();
  await kafka.close();
  for (const keyspace of Object.values(keyspaces)) await cleanUp({ keyspace });
  for (const topic of [id, ...Object.values(perfTopics)]) await cleanUp({ topic });
}

const memory = Deno.systemMemoryInfo();
console.log(
  `Machine: ${navigator.hardwareConcurrency} cores, ` +
    `${(memory.total / 2 ** 30).toFixed(0)} GiB, ${Deno.build.os} ${Deno.osRelease()}; ` +
    `Deno ${Deno.version.deno}; ${ROUNDS} rounds, medians\n`,
);
console.log(results.table());
Deno.exit(results.ok ? 0 : 1);

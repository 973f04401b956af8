/**
 * `deno task demo [--dataset songs]`: the pipeline end to end on local services. Starts Kafka
 * and Cassandra (unless they answer already), creates the schema, produces 1,000 events at full
 * rate, streams them with --available-now, prints 50 sample rows and both reports for the named
 * person's busiest hour, and writes that hour's report page (report-<dataset>.html). Each step is
 * printed as the command a user would type.
 */
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../lib/core/resources.ts";
import { userInfo } from "node:os";
import { CassandraClient } from "../lib/cassandra/client.ts";
import { readConnection } from "../lib/cli/connection_flags.ts";
import { datasetByName } from "../lib/pipeline/dataset.ts";
import type { Logger } from "../lib/core/log.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { dataset: { type: "string" }, me: { type: "string" }, count: { type: "string" } },
});
const dataset = datasetByName(values.dataset ?? Deno.env.get("REVIEWS_DATASET") ?? "movies");
const me = values.me ?? Deno.env.get("REVIEWS_ME") ?? Deno.env.get("USER") ?? userInfo().username;
const count = values.count ?? "1000";
const quiet: Logger = { info() {}, warn() {}, debug() {} };

async function step(title: string, command: string, args: string[], shown?: string): Promise<void> {
  shown ??= [command.replace(`${PROJECT_ROOT}/`, "./"), ...args.map(quote)].join(" ");
  console.log(`\n== ${title}\n$ ${shown}`);
  const status = await new Deno.Command(command, { args, stdin: "null" }).spawn().status;
  if (!status.success) {
    console.error(`\nThe demo stopped: that step exited ${status.code}.`);
    Deno.exit(status.code || 1);
  }
}

function quote(arg: string): string {
  return /^[\w./:=-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

const started = performance.now();
const cli = `${PROJECT_ROOT}/reviews`;
const ds = ["--dataset", dataset.name];
await step("Local Kafka and Cassandra", Deno.execPath(), [
  "run",
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys",
  `${PROJECT_ROOT}/services/local.ts`,
  "up",
], "deno task up");
const afterUp = performance.now();
await step("Topics, keyspace and table", cli, ["init-schema", ...ds]);
await step(`${count} ${dataset.words.event}s at full rate`, cli, [
  "produce",
  ...ds,
  "--count",
  count,
  "--rate",
  "max",
  "--me",
  me,
]);
await step("Stream everything in the topic, then stop", cli, [
  "stream",
  ...ds,
  "--available-now",
  "--interval",
  "5s",
]);
await step("50 stored rows", cli, ["query", "sample", ...ds, "--limit", "50"]);

// The named person's busiest hour: their partitions are (person, hour).
const cassandra = new CassandraClient(readConnection([], Deno.env.toObject()).cassandra, quiet);
let busiest: { hour: string; rows: number } | undefined;
try {
  const partitions = await cassandra.execute(
    `SELECT DISTINCT ${dataset.personField}, hour FROM ${dataset.keyspace}.${dataset.table}`,
    [],
    { prepare: false },
  );
  for (const row of partitions.rows.filter((r) => r.get(dataset.personField) === me)) {
    const hour = row.get("hour") as string;
    const result = await cassandra.execute(
      `SELECT COUNT(*) AS n FROM ${dataset.keyspace}.${dataset.table} WHERE ${dataset.personField} = ? AND hour = ?`,
      [me, hour],
    );
    const rows = Number(result.first().get("n"));
    if (busiest === undefined || rows > busiest.rows) busiest = { hour, rows };
  }
} finally {
  await cassandra.close();
}
if (busiest === undefined) {
  console.error(`No rows for ${me}; was the pool too small?`);
  Deno.exit(1);
}
await step(`What ${me} ${dataset.words.verb} in their busiest hour`, cli, [
  "query",
  "titles",
  ...ds,
  "--person",
  me,
  "--hour",
  busiest.hour,
]);
await step(`Average ${dataset.reportColumn} for ${me} in that hour`, cli, [
  "query",
  "avg",
  dataset.reportColumn,
  ...ds,
  "--person",
  me,
  "--hour",
  busiest.hour,
]);
const page = `report-${dataset.name}.html`;
await step(`The same as a page to open in a browser`, cli, [
  "report",
  ...ds,
  "--person",
  me,
  "--hour",
  busiest.hour,
  "--out",
  page,
]);
const seconds = (now: number) => (now / 1000).toFixed(1);
console.log(
  `\nDemo done in ${seconds(performance.now() - started)} s ` +
    `(services ${seconds(afterUp - started)} s, pipeline ${
      seconds(performance.now() - afterUp)
    } s). ` +
    `Open ${page} in a browser. Stop the services with 'deno task down'.`,
);

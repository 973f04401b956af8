/**
 * Operating and looking at the pipeline, against the real services: a real Prometheus scrapes a
 * running stream, /readyz follows Cassandra, `query day` matches the events, and the report,
 * opened in headless Chromium, shows what `query` answers.
 */
import assert from "node:assert/strict";
import { openCatalog } from "../lib/pipeline/catalog.ts";
import { datasetByName } from "../lib/pipeline/dataset.ts";
import { decodeEvent, type Event } from "../lib/pipeline/event.ts";
import { hourBucket } from "../lib/pipeline/hour_bucket.ts";
import {
  cleanUp,
  CliProcess,
  drain,
  localService,
  pollUntil,
  readTopic,
  runCliOk,
  servedMetricsUrl,
  streamWithMetrics,
  tableRows,
  uniqueName,
} from "./support/helpers.ts";
import { chromiumPath, withPage } from "./support/chromium.ts";
import { startPrometheus } from "./support/prometheus.ts";

const movies = datasetByName("movies");

/** Polls `probe` until it returns a value `accept` takes, or fails after `timeoutMs`. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const polled = await pollUntil(probe, accept, timeoutMs, 250);
  if (polled.accepted) return polled.value as T;
  const error = polled.error ? `, ${polled.error}` : "";
  throw new Error(`${what}: last saw ${JSON.stringify(polled.value)}${error}`);
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

Deno.test({
  name:
    "a real Prometheus scrapes the stream: rows written equal the rows in Cassandra, lag goes to 0",
  ignore: !commandExists("prometheus"),
}, async () => {
  const { id, flags, stream, url } = await streamWithMetrics("prometheus", "--interval", "500ms");
  let prometheus;
  try {
    prometheus = await startPrometheus([new URL(url).host]);
    await stream.waitFor(/Joined group/);
    // produce serves its own metrics while it runs.
    const produce = new CliProcess([
      "produce",
      ...flags,
      "--count",
      "3000",
      "--rate",
      "1000",
      "--seed",
      "7",
      "--metrics-addr",
      "127.0.0.1:0",
    ]);
    const produceUrl = await servedMetricsUrl(produce);
    const produced = await eventually(
      "produce's events counter",
      async () => (await get(`${produceUrl}/metrics`)).text,
      (text) => /^reviews_produce_events_total [1-9]\d*$/m.test(text),
    );
    assert.match(produced, /^reviews_produce_send_latency_seconds_count [1-9]\d*$/m);
    assert.deepEqual(await get(`${produceUrl}/readyz`), {
      status: 200,
      text: `sending to ${id}\n`,
    });
    assert.equal((await produce.finished()).code, 0);

    const rows = await eventually(
      "rows in Cassandra",
      () => tableRows(id, "movie_reviews"),
      (n) => n === 3000,
    );
    const prom = prometheus;
    const written = await eventually(
      "reviews_stream_rows_written_total in Prometheus",
      () => prom.query("reviews_stream_rows_written_total"),
      (value) => value === rows,
    );
    assert.equal(written, 3000);
    assert.equal(await prom.query("reviews_stream_events_total"), 3000);
    const lag = await eventually(
      "the summed consumer lag in Prometheus",
      () => prom.query("sum(reviews_stream_consumer_lag)"),
      (value) => value === 0,
    );
    assert.equal(lag, 0);
    assert.equal(await prom.query("sum(reviews_stream_committed_offset)"), 3000);
    assert.equal(await prom.query("reviews_stream_assigned_partitions"), 3);
    const latencyCount = await prom.query("reviews_stream_event_latency_seconds_count");
    assert.equal(latencyCount, 3000);
    assert.ok((await prom.query("process_resident_memory_bytes"))! > 10_000_000);
    assert.deepEqual((await get(`${url}/healthz`)).status, 200);
  } finally {
    await prometheus?.stop();
    await stream.stop("SIGTERM");
    await cleanUp({ keyspace: id, topic: id });
  }
});

Deno.test({
  name: "/readyz is 503 with the reason while Cassandra is stopped, 200 once it is back",
  // Stops the shared local Cassandra; nothing else runs meanwhile.
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const { id, flags, stream, url } = await streamWithMetrics("readyz", "--interval", "500ms");
  try {
    const ready = await eventually("ready", () => get(`${url}/readyz`), (r) => r.status === 200);
    assert.match(ready.text, /^holding partitions 0, 1, 2 of \S+; Cassandra answers$/m);

    await localService("down", "cassandra");
    const down = await eventually("unready", () => get(`${url}/readyz`), (r) => r.status === 503);
    assert.match(down.text, /^Cassandra at 127\.0\.0\.1(:9042)? does not answer: /m);
    assert.equal((await get(`${url}/healthz`)).status, 200);

    await localService("up", "cassandra");
    await eventually("ready again", () => get(`${url}/readyz`), (r) => r.status === 200, 120_000);
    // And the stream still works.
    await runCliOk(["produce", ...flags, "--count", "200", "--rate", "max", "--seed", "3"]);
    await eventually("rows", () => tableRows(id, "movie_reviews"), (n) => n === 200);
  } finally {
    await localService("up", "cassandra");
    await stream.stop("SIGTERM");
    await cleanUp({ keyspace: id, topic: id });
  }
});

/** A person's day computed from the events themselves: count and averages by hour. */
function expectedDay(
  events: Event[],
  person: string,
  date: string,
  durations: Map<string, number>,
) {
  const hours = new Map<string, { count: number; rating: number[]; duration: number[] }>();
  for (const event of events) {
    const hour = hourBucket(event.time);
    if (event.person !== person || !hour.startsWith(date)) continue;
    const entry = hours.get(hour) ?? { count: 0, rating: [], duration: [] };
    entry.count++;
    entry.rating.push(event.measures[0]);
    const duration = durations.get(event.item);
    if (duration !== undefined) entry.duration.push(duration);
    hours.set(hour, entry);
  }
  return hours;
}

const mean = (values: number[]) =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

Deno.test({
  name: "query day matches the events; the report in Chromium shows what query answers, no errors",
  ignore: chromiumPath() === undefined,
}, async () => {
  const id = uniqueName("report");
  const flags = ["--topic", id, "--keyspace", id];
  const person = "Ada O'Report";
  try {
    await runCliOk(["init-schema", ...flags]);
    await runCliOk([
      "produce",
      ...flags,
      "--count",
      "2000",
      "--rate",
      "max",
      "--me",
      person,
      "--people",
      "3",
      "--seed",
      "11",
    ]);
    await drain(flags, id);
    const events = (await readTopic(id, 2000)).map((m) => decodeEvent(m.value, movies))
      .flatMap((d) => d.ok ? [d.event] : []);
    const mine = events.filter((e) => e.person === person);
    assert.ok(mine.length > 100);
    const hour = hourBucket(mine[0].time);
    const date = hour.slice(0, 10);

    // query day against the events and the catalog's durations.
    const catalog = await openCatalog(movies, { strict: false }, { info() {}, warn() {} });
    const durationIndex = movies.attributes.findIndex((a) => a.name === "duration");
    const durations = new Map<string, number>();
    for (const [title, values] of catalog.entries) {
      if (typeof values[durationIndex] === "number") durations.set(title, values[durationIndex]);
    }
    const expected = expectedDay(events, person, date, durations);
    const day = JSON.parse(
      (await runCliOk(["query", "day", ...flags, "--person", person, "--date", date, "--json"]))
        .stdout,
    ) as { hour: string; rows: number; avg_rating: number | null; avg_duration: number | null }[];
    assert.equal(day.length, 24);
    for (const row of day) {
      const want = expected.get(row.hour);
      assert.equal(row.rows, want?.count ?? 0, row.hour);
      const close = (got: number | null, value: number | null) =>
        value === null ? got === null : Math.abs((got ?? NaN) - value) < 0.01;
      assert.ok(close(row.avg_rating, mean(want?.rating ?? [])), `${row.hour} rating`);
      assert.ok(close(row.avg_duration, mean(want?.duration ?? [])), `${row.hour} duration`);
    }

    // The report, opened as a person would.
    const dir = await Deno.makeTempDir({ prefix: "reviews_report_" });
    const file = `${dir}/report.html`;
    await runCliOk(["report", ...flags, "--person", person, "--hour", hour, "--out", file]);
    const titles = JSON.parse(
      (await runCliOk(["query", "titles", ...flags, "--person", person, "--hour", hour, "--json"]))
        .stdout,
    ) as { time: string; movie: string; rating: number }[];
    const averages = await Promise.all(["rating", "duration"].map(async (column) =>
      JSON.parse(
        (await runCliOk([
          "query",
          "avg",
          column,
          ...flags,
          "--person",
          person,
          "--hour",
          hour,
          "--json",
        ])).stdout,
      ) as { average: number | null; rows: number }
    ));
    const page = await withPage(`file://${file}`, async (page) => ({
      errors: page.errors,
      titles: await page.evaluate<string[][]>(
        `[...document.querySelectorAll('table[data-name="titles"] tbody tr')]
          .map((tr) => [...tr.cells].map((td) => td.textContent))`,
      ),
      averages: await page.evaluate<string[][]>(
        `[...document.querySelectorAll('table[data-name="averages"] tbody tr')]
          .map((tr) => [...tr.cells].map((td) => td.textContent))`,
      ),
      bars: await page.evaluate<{ hour: string; count: number; height: number }[]>(
        `[...document.querySelectorAll('svg[data-name="day"] rect.bar')].map((rect) => ({
          hour: rect.dataset.hour,
          count: Number(rect.dataset.count),
          height: rect.getBoundingClientRect().height,
        }))`,
      ),
      scripts: await page.evaluate<number>("document.scripts.length"),
      screenshot: await page.screenshot(),
    }));
    await Deno.writeFile(`${dir}/report.png`, page.screenshot);

    assert.deepEqual(page.errors, []);
    assert.equal(page.scripts, 0);
    assert.ok(page.screenshot.length > 10_000, "a real screenshot");
    assert.deepEqual(page.titles, titles.map((t) => [t.time, t.movie, String(t.rating)]));
    assert.deepEqual(
      page.averages.map(([column, average, , rows]) => [column, Number(average), Number(rows)]),
      ["rating", "duration"].map((column, i) => [
        column,
        Math.round(averages[i].average! * 10_000) / 10_000,
        averages[i].rows,
      ]),
    );
    assert.equal(page.bars.length, 24);
    assert.deepEqual(page.bars.map((b) => [b.hour, b.count]), day.map((d) => [d.hour, d.rows]));
    const tallest = Math.max(...page.bars.map((b) => b.height));
    const busiest = Math.max(...day.map((d) => d.rows));
    for (const bar of page.bars) {
      assert.ok(
        Math.abs(bar.height / tallest - bar.count / busiest) < 0.01,
        `bar ${bar.hour}: height ${bar.height} of ${tallest}, count ${bar.count} of ${busiest}`,
      );
    }

    // The same report as Markdown carries the same titles.
    const markdown = (await runCliOk([
      "report",
      ...flags,
      "--person",
      person,
      "--hour",
      hour,
      "--format",
      "md",
    ])).stdout;
    assert.match(markdown, /^## Data model$/m);
    assert.match(markdown, /PRIMARY KEY \(\(reviewer, hour\), time, movie\)/);
    for (const title of titles.slice(0, 5)) assert.ok(markdown.includes(`| ${title.time} |`));
    await Deno.remove(dir, { recursive: true });
  } finally {
    await cleanUp({ keyspace: id, topic: id });
  }
});

function commandExists(name: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

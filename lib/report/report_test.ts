import assert from "node:assert/strict";
import { datasetByName } from "../pipeline/dataset.ts";
import { layOut, type ReportData } from "./content.ts";
import { barChart, escapeHtml, renderHtml } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";

const hours = Array.from({ length: 24 }, (_, h) => ({
  hour: `2024-03-01 ${String(h).padStart(2, "0")}:00`,
  count: h === 14 ? 8 : h === 15 ? 2 : 0,
  averages: { rating: h === 14 ? 6.5 : null, duration: null },
}));

const data: ReportData = {
  schema: { notes: ["Partition: one person's hour."], statements: ["CREATE TABLE x (a int)"] },
  sample: {
    cql: "SELECT a FROM k.t LIMIT ?",
    params: [50],
    result: { columns: ["a"], rows: [[1]] },
  },
  titles: {
    cql: "SELECT time, movie, rating FROM k.t WHERE reviewer = ? AND hour = ?",
    params: ["Ada O'Neil", "2024-03-01 14:00"],
    result: {
      columns: ["time", "movie", "rating"],
      rows: [["2024-03-01T14:00:01.000Z", "<Tom & Jerry>", 7]],
    },
  },
  averages: [
    { cql: "SELECT AVG(rating) ...", params: [], result: { average: 6.5, withValue: 8, rows: 8 } },
    {
      cql: "SELECT AVG(duration) ...",
      params: [],
      result: { average: null, withValue: 0, rows: 8 },
    },
  ],
  columns: ["rating", "duration"],
  day: { cql: "SELECT COUNT(*) ...", params: [], result: hours },
};

const request = {
  dataset: datasetByName("movies"),
  person: "Ada O'Neil",
  hour: "2024-03-01 14:00",
  sampleSize: 50,
  generatedAt: new Date("2024-03-02T00:00:00.000Z"),
};

Deno.test("layOut() puts the model, averages, day, titles and sample in order, CQL with its values", () => {
  const report = layOut(request, data);
  assert.equal(report.title, "Reviews of Ada O'Neil, 2024-03-01 14:00 UTC");
  assert.deepEqual(report.sections.map((s) => s.title.split(" ")[0]), [
    "Data",
    "Averages",
    "Ada",
    "Titles",
    "A",
  ]);
  const titles = report.sections[3].blocks;
  assert.deepEqual(titles[0], {
    kind: "cql",
    text: "SELECT time, movie, rating FROM k.t WHERE reviewer = 'Ada O''Neil' AND hour = " +
      "'2024-03-01 14:00'",
  });
  const averages = report.sections[1].blocks.find((b) => b.kind === "table");
  assert.deepEqual(averages, {
    kind: "table",
    name: "averages",
    columns: ["column", "average", "rows_with_value", "rows"],
    rows: [["rating", 6.5, 8, 8], ["duration", null, 0, 8]],
  });
});

Deno.test("renderHtml() escapes every value and needs no script or network", () => {
  const html = renderHtml(layOut(request, data));
  assert.ok(html.includes("&lt;Tom &amp; Jerry&gt;"));
  assert.ok(!html.includes("<Tom"));
  assert.ok(html.includes("Ada O&#39;Neil"));
  assert.doesNotMatch(html, /<script|<link|src=|url\(|@import/i);
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

Deno.test("barChart() draws one bar per hour, heights in proportion to the counts", () => {
  const svg = barChart("day", hours, "reviews per hour");
  const bars = [...svg.matchAll(/data-count="(\d+)"[^>]*height="([\d.]+)"/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
  assert.equal(bars.length, 24);
  const tallest = Math.max(...bars.map(([, h]) => h));
  for (const [count, height] of bars) assert.ok(Math.abs(height / tallest - count / 8) < 0.01);
});

Deno.test("renderMarkdown() gives the same content: tables, CQL blocks and text bars", () => {
  const markdown = renderMarkdown(layOut(request, data));
  assert.match(markdown, /^# Reviews of Ada O'Neil, 2024-03-01 14:00 UTC$/m);
  assert.match(markdown, /^\| 2024-03-01T14:00:01\.000Z \| <Tom & Jerry> \| 7 \|$/m);
  assert.match(markdown, /^\| rating \| 6\.5 \| 8 \| 8 \|$/m);
  const lines = markdown.split("\n");
  assert.ok(lines.includes("| duration |  | 0 | 8 |"));
  assert.ok(lines.includes(`14:00      8 ${"#".repeat(40)}`));
  assert.ok(lines.includes(`15:00      2 ${"#".repeat(10)}`));
  assert.match(markdown, /```sql\nCREATE TABLE x \(a int\);\n```/);
});

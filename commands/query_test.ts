import assert from "node:assert/strict";
import { parseQueryOptions } from "./query.ts";
import { dayTable } from "./query_run.ts";

Deno.test("parseQueryOptions() reads each report", async (t) => {
  await t.step("titles", () => {
    const options = parseQueryOptions([
      "titles",
      "--person",
      "Ada",
      "--hour",
      "2024-03-01T16:20:00+02:00",
    ], {});
    assert.deepEqual(options.report, { kind: "titles", person: "Ada", hour: "2024-03-01 14:00" });
  });
  await t.step("avg", () => {
    const options = parseQueryOptions([
      "avg",
      "danceability",
      "--dataset",
      "songs",
      "--person",
      "Ada",
      "--hour",
      "2024-03-01 14:00",
      "--json",
    ], {});
    assert.deepEqual(options.report, {
      kind: "avg",
      column: "danceability",
      person: "Ada",
      hour: "2024-03-01 14:00",
    });
    assert.equal(options.json, true);
  });
  await t.step("sample", () => {
    assert.deepEqual(parseQueryOptions(["sample"], {}).report, { kind: "sample", limit: 50 });
    assert.deepEqual(parseQueryOptions(["sample", "--limit", "5"], {}).report, {
      kind: "sample",
      limit: 5,
    });
  });
  await t.step("day", () => {
    assert.deepEqual(
      parseQueryOptions(["day", "--person", "Ada", "--date", "2024-03-01"], {}).report,
      { kind: "day", person: "Ada", date: "2024-03-01" },
    );
  });
  await t.step("cql", () => {
    assert.deepEqual(parseQueryOptions(["cql", "SELECT * FROM t"], {}).report, {
      kind: "cql",
      statement: "SELECT * FROM t",
    });
  });
});

Deno.test("parseQueryOptions() lists the numeric columns of the dataset for an unknown one", () => {
  assert.throws(
    () =>
      parseQueryOptions([
        "avg",
        "rating",
        "--dataset",
        "songs",
        "--person",
        "a",
        "--hour",
        "2024-03-01 14:00",
      ], {}),
    (error: Error & { hint?: string }) =>
      /Unknown numeric column 'rating' for the songs dataset/.test(error.message) &&
      /danceability/.test(error.hint ?? "") && /tempo/.test(error.hint ?? "") &&
      /duration_ms/.test(error.hint ?? ""),
  );
});

Deno.test("parseQueryOptions() names what a report lacks", async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /Missing report/],
    [["top10"], /Unknown report 'top10'/],
    [["avg", "--person", "a", "--hour", "2024-03-01 14:00"], /needs a column/],
    [["titles", "--person", "a"], /needs --hour HOUR/],
    [["cql"], /needs a statement/],
    [["day", "--person", "a"], /needs --date YYYY-MM-DD/],
    [["day", "--person", "a", "--date", "2024-02-30"], /'2024-02-30' is not a date/],
    [["sample", "extra"], /Unexpected argument for 'sample': extra/],
  ];
  for (const [args, pattern] of cases) {
    await t.step(
      args.join(" ") || "(nothing)",
      () => assert.throws(() => parseQueryOptions(args, {}), pattern),
    );
  }
});

Deno.test("dayTable() gives each hour its rows, rounded averages and a bar scaled to the busiest", () => {
  const table = dayTable(["rating"], [
    { hour: "2024-03-01 00:00", count: 0, averages: { rating: null } },
    { hour: "2024-03-01 01:00", count: 4, averages: { rating: 6.666666 } },
    { hour: "2024-03-01 02:00", count: 2, averages: { rating: 3 } },
  ]);
  assert.deepEqual(table.columns, ["hour", "rows", "avg_rating", "bar"]);
  assert.deepEqual(table.rows, [
    ["2024-03-01 00:00", 0, null, ""],
    ["2024-03-01 01:00", 4, 6.67, "#".repeat(30)],
    ["2024-03-01 02:00", 2, 3, "#".repeat(15)],
  ]);
});

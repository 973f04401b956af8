import assert from "node:assert/strict";
import { parseQueryOptions } from "./query.ts";

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
    [["sample", "extra"], /Unexpected argument for 'sample': extra/],
  ];
  for (const [args, pattern] of cases) {
    await t.step(
      args.join(" ") || "(nothing)",
      () => assert.throws(() => parseQueryOptions(args, {}), pattern),
    );
  }
});

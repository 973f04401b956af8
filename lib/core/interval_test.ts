import assert from "node:assert/strict";
import { formatInterval, parseInterval } from "./interval.ts";
import { mustParse } from "./parse.ts";

Deno.test("parseInterval() reads units and Spark-style words", async (t) => {
  const cases: [string, number][] = [
    ["500ms", 500],
    ["10s", 10_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5s", 1_500],
    ["30 seconds", 30_000],
    ["1 minute", 60_000],
    [" 5S ", 5_000],
  ];
  for (const [text, millis] of cases) {
    await t.step(text, () => assert.equal(mustParse(parseInterval, text), millis));
  }
});

Deno.test("parseInterval() refuses bare numbers, zero, unknown units and over a day", async (t) => {
  for (const text of ["30", "0s", "10 parsecs", "-1s", "25h", "", "s"]) {
    await t.step(JSON.stringify(text), () => {
      assert.throws(() => mustParse(parseInterval, text), /'.*' is not a duration/);
    });
  }
});

Deno.test("formatInterval() writes what parseInterval() reads", () => {
  for (const millis of [500, 1_500, 30_000, 120_000, 3_600_000]) {
    assert.equal(mustParse(parseInterval, formatInterval(millis)), millis);
  }
});

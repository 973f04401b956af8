import assert from "node:assert/strict";
import { Invalid, mustParse } from "../core/parse.ts";
import {
  hourBucket,
  hoursOf,
  isoTime,
  parseDate,
  parseHour,
  parseTimestamp,
} from "./hour_bucket.ts";

Deno.test("hourBucket() uses the UTC hour across midnight, month ends and leap days", async (t) => {
  const cases: [string, string][] = [
    ["2024-03-01T00:00:00.000Z", "2024-03-01 00:00"],
    ["2024-02-29T23:59:59.999Z", "2024-02-29 23:00"],
    ["2023-12-31T23:30:00.000Z", "2023-12-31 23:00"],
    ["2024-01-01T00:00:00.001Z", "2024-01-01 00:00"],
    ["2024-04-30T23:00:00.000Z", "2024-04-30 23:00"],
  ];
  for (const [time, bucket] of cases) {
    await t.step(time, () => assert.equal(hourBucket(new Date(time)), bucket));
  }
});

Deno.test("parseTimestamp() converts offsets to UTC, across a day and a year boundary", async (t) => {
  const cases: [string, string][] = [
    ["2024-03-01T01:30:00+02:00", "2024-02-29T23:30:00.000Z"],
    ["2024-01-01T00:15:00.250+01:00", "2023-12-31T23:15:00.250Z"],
    ["2023-12-31T20:00:00-05:00", "2024-01-01T01:00:00.000Z"],
    ["2024-03-01T10:00:00.123456Z", "2024-03-01T10:00:00.123Z"],
    ["2024-03-01T10:00Z", "2024-03-01T10:00:00.000Z"],
    ["2024-03-01T10:00:00+0530", "2024-03-01T04:30:00.000Z"],
  ];
  for (const [text, iso] of cases) {
    await t.step(text, () => assert.equal(parseTimestamp(text)?.toISOString(), iso));
  }
});

Deno.test("parseTimestamp() reads the canonical form exactly as toISOString() writes it", () => {
  for (const ms of [0, 951_782_400_000, 1_709_251_199_999, 1_709_287_327_123]) {
    const iso = new Date(ms).toISOString();
    assert.equal(parseTimestamp(iso)?.getTime(), ms, iso);
  }
});

Deno.test("parseTimestamp() refuses days the calendar lacks and times without an offset", async (t) => {
  for (
    const text of [
      "2023-02-29T10:00:00Z",
      "2023-02-29T10:00:00.000Z",
      "2024-03-01T10:00:6a.000Z",
      "2024-03-01T10:60:00.000Z",
      "2024-04-31T10:00:00Z",
      "2024-13-01T10:00:00Z",
      "2024-03-01T24:00:00Z",
      "2024-03-01T10:00:00",
      "yesterday",
      "1709287200000",
      "",
    ]
  ) {
    await t.step(JSON.stringify(text), () => assert.equal(parseTimestamp(text), undefined));
  }
});

Deno.test("parseHour() takes the bucket form or an ISO time with an offset", async (t) => {
  const cases: [string, string][] = [
    ["2024-03-01 14:00", "2024-03-01 14:00"],
    ["2024-03-01T14:00", "2024-03-01 14:00"],
    ["2024-03-01T16:20:00+02:00", "2024-03-01 14:00"],
    ["2024-03-01T00:10:00+01:00", "2024-02-29 23:00"],
    ["2024-03-01T14:59:59.999Z", "2024-03-01 14:00"],
  ];
  for (const [text, bucket] of cases) {
    await t.step(text, () => assert.equal(mustParse(parseHour, text), bucket));
  }
  await t.step("an hour with minutes but no offset is refused", () => {
    assert.ok(parseHour("2024-03-01 14:30") instanceof Invalid);
  });
  await t.step("the error names the flag and the input", () => {
    assert.throws(() => mustParse(parseHour, "tuesday"), /'tuesday' is not an hour/);
  });
});

Deno.test("isoTime() writes what toISOString() does, for any instant", () => {
  const times = [0, -1, -999, -1000, -1001, 999, 1000, 1_709_287_200_123, 253_402_300_799_999];
  times.push(253_402_300_800_000, -62_198_755_200_000, 8.64e15, -8.64e15);
  let ms = 1_709_287_199_990;
  for (let i = 0; i < 2_000; i++) times.push(ms += 7); // in order, across second boundaries
  for (let i = 0; i < 2_000; i++) times.push(Math.round((Math.random() - 0.5) * 2e14));
  for (const t of times) assert.equal(isoTime(new Date(t)), new Date(t).toISOString(), String(t));
});

Deno.test("parseDate() takes real UTC days only; hoursOf() lists the day's 24 buckets", () => {
  assert.equal(mustParse(parseDate, " 2024-02-29 "), "2024-02-29");
  for (const bad of ["2023-02-29", "2024-13-01", "2024-3-1", "yesterday", ""]) {
    const result = parseDate(bad);
    assert.ok(result instanceof Invalid, bad);
    assert.match(result.reason, /is not a date/);
  }
  const hours = hoursOf("2024-03-01");
  assert.equal(hours.length, 24);
  assert.deepEqual([hours[0], hours[9], hours[23]], [
    "2024-03-01 00:00",
    "2024-03-01 09:00",
    "2024-03-01 23:00",
  ]);
});

Deno.test("parseTimestamp() reads instants one after another, within and across hours", () => {
  const start = Date.UTC(2024, 1, 28, 22, 59, 58, 990);
  for (let ms = start; ms < start + 26 * 3_600_000; ms += 3_599_999) {
    for (const instant of [ms, ms + 1, ms + 11]) {
      const iso = new Date(instant).toISOString();
      assert.equal(parseTimestamp(iso)?.getTime(), instant, iso);
      // A bad minute in the hour just read is still refused.
      assert.equal(parseTimestamp(`${iso.slice(0, 14)}61${iso.slice(16)}`), undefined);
    }
  }
});

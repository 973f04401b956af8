import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { parseCatalog } from "./catalog.ts";
import { datasetByName } from "./dataset.ts";
import { decodeEvent, enrich, eventJson } from "./event.ts";

const movies = datasetByName("movies");
const songs = datasetByName("songs");
const bytes = (text: string) => new TextEncoder().encode(text);
const review = (fields: Record<string, unknown>) =>
  bytes(
    JSON.stringify({
      reviewer: "Ada",
      movie: "Heat",
      time: "2024-03-01T10:00:00.000Z",
      rating: 7,
      ...fields,
    }),
  );

Deno.test("decodeEvent() accepts a well-formed review, plain or gzip-compressed", () => {
  for (const value of [review({}), gzipSync(review({}))]) {
    const decoded = decodeEvent(value, movies);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.event, {
      person: "Ada",
      item: "Heat",
      time: new Date("2024-03-01T10:00:00.000Z"),
      measures: [7],
    });
  }
});

Deno.test("decodeEvent() names the reason for every kind of bad message", async (t) => {
  const cases: [string, Uint8Array | null, RegExp][] = [
    ["no value", null, /no value/],
    ["not JSON", bytes("{reviewer: Ada"), /not JSON/],
    ["not UTF-8", new Uint8Array([0xff, 0xfe, 0x7b]), /not UTF-8/],
    ["broken gzip", new Uint8Array([0x1f, 0x8b, 1, 2, 3]), /does not decompress/],
    ["JSON but an array", bytes("[1,2]"), /not an object/],
    ["missing reviewer", review({ reviewer: undefined }), /field 'reviewer' is missing/],
    [
      "reviewer a number",
      review({ reviewer: 42 }),
      /field 'reviewer' must be a string, got a number/,
    ],
    ["empty movie", review({ movie: "  " }), /field 'movie' is empty/],
    ["missing time", review({ time: undefined }), /field 'time' is missing/],
    ["time not ISO", review({ time: "yesterday" }), /field 'time' is not an ISO-8601 timestamp/],
    ["time without offset", review({ time: "2024-03-01T10:00:00" }), /not an ISO-8601/],
    ["time a number", review({ time: 1709287200000 }), /field 'time' must be a string/],
    ["rating missing", review({ rating: undefined }), /field 'rating' is missing/],
    [
      "rating a string",
      review({ rating: "7" }),
      /field 'rating' must be a whole number, got the string '7'/,
    ],
    ["rating fractional", review({ rating: 7.5 }), /must be a whole number, got 7.5/],
    ["rating 0", review({ rating: 0 }), /field 'rating' must be from 1 to 10, got 0/],
    ["rating 11", review({ rating: 11 }), /must be from 1 to 10, got 11/],
  ];
  for (const [name, value, reason] of cases) {
    await t.step(name, () => {
      const decoded = decodeEvent(value, movies);
      assert.equal(decoded.ok, false);
      assert.match((decoded as { reason: string }).reason, reason);
    });
  }
});

Deno.test("decodeEvent() tells invalid UTF-8 inside a value from a real U+FFFD in its text", () => {
  const valid = review({ reviewer: "Ren\uFFFDe" });
  const decoded = decodeEvent(valid, movies);
  assert.ok(decoded.ok);
  assert.equal(decoded.event.person, "Ren\uFFFDe");
  // The same value with the replacement character's bytes (EF BF BD) broken: ED A0 80 is a
  // lone surrogate, which UTF-8 forbids.
  const at = valid.indexOf(0xef);
  const broken = valid.slice();
  broken.set([0xed, 0xa0, 0x80], at);
  const rejected = decodeEvent(broken, movies);
  assert.equal(rejected.ok, false);
  assert.match((rejected as { reason: string }).reason, /not UTF-8/);
  // And a stray continuation byte in an otherwise ASCII value.
  const stray = review({ reviewer: "Ada" }).slice();
  stray[stray.indexOf(0x41)] = 0x80;
  assert.match((decodeEvent(stray, movies) as { reason: string }).reason, /not UTF-8/);
});

Deno.test("decodeEvent() reads song listens with their own field names and no rating", () => {
  const decoded = decodeEvent(
    bytes('{"person":"Ada","song":"Yellow","time":"2024-03-01T10:00:00Z"}'),
    songs,
  );
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.event.measures, []);
  const missing = decodeEvent(
    bytes('{"reviewer":"Ada","song":"Yellow","time":"2024-03-01T10:00:00Z"}'),
    songs,
  );
  assert.equal(missing.ok, false);
  assert.match((missing as { reason: string }).reason, /field 'person' is missing/);
});

Deno.test("eventJson() writes the fields decodeEvent() reads", () => {
  const event = {
    person: "Ada",
    item: "Heat",
    time: new Date("2024-03-01T10:00:00.123Z"),
    measures: [9],
  };
  const json = eventJson(event, movies);
  assert.deepEqual(JSON.parse(json), {
    reviewer: "Ada",
    movie: "Heat",
    time: "2024-03-01T10:00:00.123Z",
    rating: 9,
  });
  const decoded = decodeEvent(bytes(json), movies);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.event, event);
  // Names that need escaping, and a dataset without measures.
  const listen = { person: 'Zoë "Z" \\ Ng', item: "Ça\nva", time: event.time, measures: [] };
  const back = decodeEvent(bytes(eventJson(listen, songs)), songs);
  assert.ok(back.ok);
  assert.deepEqual(back.event, listen);
});

Deno.test("enrich() left-joins on the trimmed title, buckets by UTC hour, leaves what is missing unset", () => {
  const csv =
    "show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description\n" +
    's1,Movie,Heat\u00a0,Michael Mann,,United States,"May 1, 2020",1995,R,170 min,Thrillers,x\n';
  const catalog = parseCatalog(bytes(csv), "mini.csv", movies);
  const time = new Date("2024-03-01T23:59:00.000+00:00");
  const hit = enrich(
    { person: "Ada", item: "Heat", time, measures: [8] },
    catalog,
    movies.attributes.length,
  );
  assert.equal(hit.matched, true);
  assert.deepEqual(hit.values, [
    "Ada",
    "2024-03-01 23:00",
    time.getTime(),
    "Heat",
    8,
    170,
    undefined,
    "Movie",
    "Michael Mann",
    "United States",
    "R",
    1995,
    "Thrillers",
  ]);
  const miss = enrich(
    { person: "Ada", item: "Unknown", time, measures: [3] },
    catalog,
    movies.attributes.length,
  );
  assert.equal(miss.matched, false);
  assert.deepEqual(miss.values.slice(5), new Array(movies.attributes.length).fill(undefined));
});

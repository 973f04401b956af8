import assert from "node:assert/strict";
import { datasetByName } from "../pipeline/dataset.ts";
import { appendOutput, eventTimeOf, transformBatch } from "./batch.ts";
import { rowBytes } from "./writer.ts";
import { sharedTailOf } from "../cassandra/shared_values.ts";
import { miniCatalog, sourceMessage } from "./fakes.ts";
import { ConsumedMessage } from "./kafka_source.ts";

const movies = datasetByName("movies");
const catalog = miniCatalog();
const review = (movie: string, rating: unknown) =>
  JSON.stringify({ reviewer: "Ada", movie, time: "2024-03-01T10:42:00.000Z", rating });
const SOURCE = { topic: "reviews", group: "g" };

Deno.test("a batch becomes rows, dead letters by partition, and the next offset per partition", () => {
  const output = transformBatch(
    [
      sourceMessage(0, 5, review("Heat", 8)),
      sourceMessage(0, 6, "{not json"),
      sourceMessage(1, 90, review("Unknown Film", 3)),
      sourceMessage(1, 91, review("Heat", 42)),
    ],
    movies,
    catalog,
    SOURCE,
  );
  assert.equal(output.events, 4);
  assert.equal(output.rows.length, 2);
  assert.deepEqual(output.rows[0].values.slice(0, 4), [
    "Ada",
    "2024-03-01 10:00",
    Date.parse("2024-03-01T10:42:00.000Z"),
    "Heat",
  ]);
  assert.equal(eventTimeOf(output.rows[0]), Date.parse("2024-03-01T10:42:00.000Z"));
  assert.equal(output.rows[0].source.offset, 5);
  assert.equal(output.unmatched, 1, "a title not in the catalog is stored, unenriched");
  assert.deepEqual([...output.next], [[0, 7], [1, 92]]);
  assert.deepEqual(
    [...output.deadLetters].map((
      [p, letters],
    ) => [p, letters.map((l) => l.headers["dlq.source.offset"])]),
    [[0, ["6"]], [1, ["91"]]],
  );
  assert.match(output.deadLetters.get(1)![0].headers["dlq.reason"], /rating/);
});

Deno.test("an all-bad batch still moves every partition's offset on", () => {
  const output = transformBatch(
    [sourceMessage(2, 0, ""), sourceMessage(2, 1, "[]")],
    movies,
    catalog,
    SOURCE,
  );
  assert.equal(output.rows.length, 0);
  assert.deepEqual([...output.next], [[2, 2]]);
  assert.equal(output.deadLetters.get(2)!.length, 2);
});

Deno.test("each row carries its rowBytes() size, matched in the catalog or not", () => {
  const output = transformBatch(
    [
      sourceMessage(0, 0, review("Heat", 8)),
      sourceMessage(0, 1, review("Heat", 9)),
      sourceMessage(0, 2, review("Unknown Film", 3)),
    ],
    movies,
    catalog,
    SOURCE,
  );
  assert.equal(output.rows.length, 3);
  for (const row of output.rows) assert.equal(row.bytes, rowBytes(row.values));
});

Deno.test("a batch transformed in chunks, appended, is the batch transformed whole", () => {
  const messages = Array.from({ length: 50 }, (_, i) =>
    sourceMessage(
      i % 3,
      100 + i,
      i % 7 === 0 ? "{bad" : review(i % 2 ? "Heat" : "Unknown Film", 1 + (i % 10)),
    ));
  const whole = transformBatch(messages, movies, catalog, SOURCE);
  for (const cut of [1, 17, 49]) {
    const chunked = appendOutput(
      transformBatch(messages.slice(0, cut), movies, catalog, SOURCE),
      transformBatch(messages.slice(cut), movies, catalog, SOURCE),
    );
    assert.deepEqual(chunked, whole);
  }
  assert.ok(whole.deadLetters.size > 1 && whole.unmatched > 0 && whole.next.size === 3);
});

Deno.test("a matched row is marked as ending with its catalog entry's values; an unmatched one not", () => {
  const [matched, unmatched] = transformBatch(
    [sourceMessage(0, 0, review("Heat", 8)), sourceMessage(0, 1, review("Unknown Film", 3))],
    movies,
    catalog,
    SOURCE,
  ).rows;
  const entry = catalog.entries.get("Heat")!;
  assert.equal(sharedTailOf(matched.values), entry);
  // What the entry has none of is left unset (undefined) in the row.
  assert.deepEqual(matched.values.slice(-entry.length), entry.map((value) => value ?? undefined));
  assert.equal(sharedTailOf(unmatched.values), undefined);
});

Deno.test("messages read in place in their fetched bytes give the rows and dead letters of views", () => {
  const texts = [
    review("Heat", 8),
    review("Heat", 42), // out of range: decodeEvent() says why
    JSON.stringify({ movie: "Heat", reviewer: "Ada", time: "2024-03-01T10:42:00Z", rating: 2 }),
    review("Unknown Film", 3),
    "{not json",
  ];
  // One fetched chunk holding every value, as a decompressed record batch does.
  const values = texts.map((text) => new TextEncoder().encode(text));
  const chunk = new Uint8Array(values.reduce((sum, value) => sum + value.length, 3));
  let at = 3;
  const inPlace = values.map((value, i) => {
    chunk.set(value, at);
    const view = chunk.subarray(at, at += value.length);
    return ConsumedMessage.of(0, i, null, view, "0", undefined);
  });
  assert.ok(inPlace.every((message) => message.chunk === inPlace[0].chunk));
  const viewed = texts.map((text, i) => sourceMessage(0, i, text));
  const a = transformBatch(inPlace, movies, catalog, SOURCE);
  const b = transformBatch(viewed, movies, catalog, SOURCE);
  const rowsOf = (output: typeof a) =>
    output.rows.map(({ values, bytes, source }) => ({
      values,
      bytes,
      offset: source.offset,
    }));
  assert.equal(a.rows.length, 3);
  assert.deepEqual(rowsOf(a), rowsOf(b));
  const reasons = (output: typeof a) =>
    output.deadLetters.get(0)!.map((letter) => letter.headers["dlq.reason"]);
  assert.deepEqual(reasons(a), reasons(b));
  assert.deepEqual([...a.next], [...b.next]);
  assert.equal(a.unmatched, b.unmatched);
});

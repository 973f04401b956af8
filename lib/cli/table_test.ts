import assert from "node:assert/strict";
import cassandra from "cassandra-driver";
import { formatTable, plain } from "./table.ts";

Deno.test("plain() turns driver values into JSON-able ones", () => {
  assert.equal(plain(cassandra.types.Long.fromNumber(1234567890123)), 1234567890123);
  assert.equal(
    plain(cassandra.types.Long.fromString("9223372036854775807")),
    "9223372036854775807",
  );
  assert.equal(plain(new Date("2024-03-01T10:00:00.000Z")), "2024-03-01T10:00:00.000Z");
  assert.equal(plain(undefined), null);
  assert.deepEqual(plain(new Map([["a", 1]])), { a: 1 });
  assert.equal(plain(new Uint8Array([0xca, 0xfe])), "0xcafe");
});

Deno.test("formatTable() aligns columns, right-aligns numbers and clips long cells", () => {
  const text = formatTable(["movie", "rating"], [["Heat", 8], ["A very long title indeed", 10], [
    "x".repeat(50),
    null,
  ]], 20);
  assert.equal(
    text,
    [
      "movie                 rating",
      "--------------------  ------",
      "Heat                       8",
      "A very long title...      10",
      "xxxxxxxxxxxxxxxxx...",
    ].join("\n"),
  );
});

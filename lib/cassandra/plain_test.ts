import assert from "node:assert/strict";
import cassandra from "cassandra-driver";
import { plain } from "./plain.ts";

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

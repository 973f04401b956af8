import assert from "node:assert/strict";
import { kraftClusterId, ringToken } from "./local.ts";

Deno.test("kraftClusterId() is 22 base64url characters and never starts with '-'", () => {
  // One id in 64 would start with '-' if they were not drawn again; 5,000 draws all but surely
  // include such a case.
  for (let i = 0; i < 5_000; i++) {
    const id = kraftClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, id);
  }
});

Deno.test("ringToken() splits the Murmur3 range evenly between the nodes", () => {
  assert.deepEqual([1, 2, 3].map((id) => ringToken(id, 3)), [
    "-9223372036854775808",
    "-3074457345618258603",
    "3074457345618258602",
  ]);
  assert.equal(ringToken(1, 1), "-9223372036854775808");
});

import assert from "node:assert/strict";
import { kraftClusterId } from "./local.ts";

Deno.test("kraftClusterId() is 22 base64url characters and never starts with '-'", () => {
  // One id in 64 would start with '-' if they were not drawn again; 5,000 draws all but surely
  // include such a case.
  for (let i = 0; i < 5_000; i++) {
    const id = kraftClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, id);
  }
});

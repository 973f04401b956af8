import assert from "node:assert/strict";
import { BoundedMemo } from "./memo.ts";

Deno.test("a remembered result is computed once per argument", () => {
  let calls = 0;
  const length = new BoundedMemo((text: string) => {
    calls++;
    return text.length;
  }, 10);
  assert.equal(length.of("abc"), 3);
  assert.equal(length.of("abc"), 3);
  assert.equal(calls, 1);
  assert.equal(length.size, 1);
});

Deno.test("past its capacity a memo starts over, so memory stays bounded", () => {
  const upper = new BoundedMemo((text: string) => text.toUpperCase(), 2);
  for (const word of ["a", "b", "c"]) upper.of(word);
  assert.equal(upper.size, 1);
  assert.equal(upper.of("a"), "A");
});

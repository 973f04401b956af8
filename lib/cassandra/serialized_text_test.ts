import assert from "node:assert/strict";
import { SerializedText } from "./serialized_text.ts";

Deno.test("a string's UTF-8 bytes are made once and given again while cached", () => {
  const text = new SerializedText();
  const first = text.of("Amélie 🎬");
  assert.deepEqual([...first], [...new TextEncoder().encode("Amélie 🎬")]);
  assert.equal(text.of("Amélie 🎬"), first);
  assert.equal(text.size, 1);
});

Deno.test("past its capacity the cache starts over, so memory stays bounded", () => {
  const text = new SerializedText(3);
  for (const word of ["a", "b", "c", "d"]) text.of(word);
  assert.equal(text.size, 1);
  assert.equal(new TextDecoder().decode(text.of("b")), "b");
});

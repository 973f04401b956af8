import assert from "node:assert/strict";
import { utf8Length } from "./utf8.ts";

Deno.test("utf8Length counts what TextEncoder writes, lone surrogates and pairs included", () => {
  const samples = [
    "",
    "plain ASCII",
    "café",
    "日本語のテキスト",
    "emoji 🎬 and 🎵",
    "\uD83C", // a lone high surrogate at the end
    "\uD83Cx", // a lone high surrogate before another character
    "\uDFAC lone low",
    "\uD83C\uD83C\uDFAC", // a lone high surrogate, then a pair
    "\u07FF\u0800\uFFFF",
    "Amélie",
    "東京物語",
    "Ωmega 😀😀",
  ];
  const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xffff];
  for (let i = 0; i < 2_000; i++) {
    const length = i % 12;
    samples.push(
      String.fromCharCode(...Array.from({ length }, () => units[Math.floor(Math.random() * 11)])),
    );
  }
  const encoder = new TextEncoder();
  for (const text of samples) {
    assert.equal(utf8Length(text), encoder.encode(text).length, JSON.stringify(text));
  }
});

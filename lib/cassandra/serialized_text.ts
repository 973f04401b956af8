/**
 * Text values serialized once: the driver sends a Buffer parameter as it is (already in the
 * protocol's form), and a text column's form is its UTF-8 bytes. A stream writes the same few
 * thousand strings over and over (people, titles, catalog attributes, hour buckets), and under
 * Deno each `Buffer.from(string)` the driver would make is a call into the runtime; a map lookup
 * is far cheaper. Bounded: past `capacity` distinct strings the cache starts over.
 */
import { Buffer } from "node:buffer";
import { BoundedMemo } from "../core/memo.ts";

export class SerializedText extends BoundedMemo<string, Buffer> {
  constructor(capacity = 100_000) {
    super((text) => Buffer.from(text, "utf8"), capacity);
  }
}

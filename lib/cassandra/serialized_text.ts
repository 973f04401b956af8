/**
 * Text values serialized once: the driver sends a Buffer parameter as it is (already in the
 * protocol's form), and a text column's form is its UTF-8 bytes. A stream writes the same few
 * thousand strings over and over (people, titles, catalog attributes, hour buckets), and under
 * Deno each `Buffer.from(string)` the driver would make is a call into the runtime; a map lookup
 * is far cheaper. Bounded: past `capacity` distinct strings the cache starts over.
 */
import { Buffer } from "node:buffer";

export class SerializedText {
  readonly #bytes = new Map<string, Buffer>();

  constructor(readonly capacity = 100_000) {}

  /** The UTF-8 bytes of `text`, the same Buffer each time while it stays cached. */
  of(text: string): Buffer {
    let bytes = this.#bytes.get(text);
    if (bytes === undefined) {
      if (this.#bytes.size >= this.capacity) this.#bytes.clear();
      bytes = Buffer.from(text, "utf8");
      this.#bytes.set(text, bytes);
    }
    return bytes;
  }

  /** Strings cached now. */
  get size(): number {
    return this.#bytes.size;
  }
}

/**
 * A function's results by argument, for values a hot path asks for over and over (the same
 * people, titles and catalog values). Bounded: past `capacity` entries it starts over, so a
 * stream of ever new arguments costs a recomputation, never unbounded memory.
 */
export class BoundedMemo<K, V> {
  readonly #values = new Map<K, V>();

  constructor(readonly compute: (key: K) => V, readonly capacity: number) {}

  /** `compute(key)`, the same value each time while it stays remembered. */
  of(key: K): V {
    let value = this.#values.get(key);
    if (value === undefined) {
      if (this.#values.size >= this.capacity) this.#values.clear();
      value = this.compute(key);
      this.#values.set(key, value);
    }
    return value;
  }

  /** Entries remembered now. */
  get size(): number {
    return this.#values.size;
  }
}

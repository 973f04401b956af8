/**
 * Waits that hold nothing once over. `Promise.race([timeout, pending])` adds a reaction to the
 * pending promise each time and keeps it until that promise settles, which for "stopped" or "the
 * buffer has room" may be never: a loop that waits 20 times a second then grows without bound
 * (about 350 bytes a wait). A waiter here is forgotten as soon as it wakes, however it wakes.
 */
export class Waiters {
  readonly #waiting = new Set<() => void>();

  /**
   * Resolves at the next wakeAll(), once `ms` pass, or once `until` settles, whichever comes
   * first; after that nothing refers to the wait.
   */
  wait({ ms = Infinity, until }: { ms?: number; until?: Promise<unknown> } = {}): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (!this.#waiting.delete(done)) return;
        clearTimeout(timer);
        resolve();
      };
      this.#waiting.add(done);
      if (Number.isFinite(ms)) timer = setTimeout(done, ms);
      until?.then(done, done);
    });
  }

  /** Wakes every wait under way. */
  wakeAll(): void {
    for (const done of [...this.#waiting]) done();
  }

  /** Waits under way (tests). */
  get size(): number {
    return this.#waiting.size;
  }
}

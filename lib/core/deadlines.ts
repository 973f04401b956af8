/**
 * Many timeouts on one timer. A client that sets a read timeout on every request makes and
 * clears a timer per request; in Deno's Node layer that is a Timeout object, two calls into the
 * runtime and their garbage each time, and a stream writes thousands of requests a second.
 *
 * Here a timeout is an entry in a queue per duration. Entries of one duration expire in the order
 * they were added, so only the oldest live one needs a timer: one timer runs for the earliest of
 * them, fires every entry due, and is set again for the next. An entry settled before its time
 * (the usual case) is only marked; marked entries are dropped from the front as the queue moves,
 * and when none is live the queues are emptied and the timer cleared, so nothing is kept alive
 * (neither the process nor what the entries refer to).
 */

/** The clock and timer a Deadlines runs on (tests give fakes). */
export interface DeadlineClock {
  /** Milliseconds, never going back. */
  now(): number;
  set(fire: () => void, ms: number): unknown;
  clear(timer: unknown): void;
}

const REAL_CLOCK: DeadlineClock = {
  now: () => performance.now(),
  set: (fire, ms) => setTimeout(fire, ms),
  clear: (timer) => clearTimeout(timer as number),
};

/** One timeout: `expire` runs once it is due, unless it was settled first. */
export class Deadline<T> {
  /** Whether it is still waiting (neither settled nor expired). */
  live = true;

  constructor(readonly item: T, readonly at: number) {}
}

/** The entries of one duration, oldest first, with the front at `head`. */
class Lane<T> {
  entries: Deadline<T>[] = [];
  head = 0;

  /** The oldest live entry, dropping settled ones in front of it. */
  front(): Deadline<T> | undefined {
    const { entries } = this;
    while (this.head < entries.length && !entries[this.head].live) this.head++;
    if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
    return this.entries[this.head];
  }

  /** Takes the front entry out (it is live and due). */
  shift(): Deadline<T> {
    return this.entries[this.head++];
  }
}

/** Timeouts of a few durations each, on one timer. */
export class Deadlines<T> {
  readonly #lanes = new Map<number, Lane<T>>();
  #live = 0;
  #timer: unknown;
  /** When the timer fires; Infinity with none set. */
  #timerAt = Infinity;

  constructor(
    readonly expire: (item: T) => void,
    readonly clock: DeadlineClock = REAL_CLOCK,
  ) {}

  /** Starts a timeout of `ms` for `item`; settle() it to call it off. */
  add(item: T, ms: number): Deadline<T> {
    let lane = this.#lanes.get(ms);
    if (lane === undefined) this.#lanes.set(ms, lane = new Lane());
    const deadline = new Deadline(item, this.clock.now() + ms);
    // Settled entries in front are dropped as new ones come, so a busy lane stays short.
    lane.front();
    lane.entries.push(deadline);
    this.#live++;
    if (deadline.at < this.#timerAt) this.#arm(deadline.at);
    return deadline;
  }

  /** Calls a timeout off; it will not expire. Settling it again, or once expired, does nothing. */
  settle(deadline: Deadline<T>): void {
    if (!deadline.live) return;
    deadline.live = false;
    if (--this.#live === 0) this.#reset();
  }

  /** Timeouts neither settled nor expired. */
  get pending(): number {
    return this.#live;
  }

  /** Expires every entry due, then sets the timer for the next. */
  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.clock.now();
    const due: Deadline<T>[] = [];
    let next = Infinity;
    for (const lane of this.#lanes.values()) {
      let front = lane.front();
      while (front !== undefined && front.at <= now) {
        due.push(lane.shift());
        front = lane.front();
      }
      if (front !== undefined) next = Math.min(next, front.at);
    }
    // Expired first, then told: an expiry that adds or settles timeouts finds a consistent state.
    for (const deadline of due) {
      deadline.live = false;
      this.#live--;
    }
    if (this.#live === 0) this.#reset();
    else if (next < Infinity) this.#arm(next);
    for (const deadline of due) this.expire(deadline.item);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) this.clock.clear(this.#timer);
    this.#timerAt = at;
    this.#timer = this.clock.set(() => this.#fire(), Math.max(0, at - this.clock.now()));
  }

  /** Nothing live: no timer, and no entry kept. */
  #reset(): void {
    if (this.#timer !== undefined) this.clock.clear(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#lanes.clear();
  }
}

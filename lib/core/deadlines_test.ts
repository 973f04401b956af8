import assert from "node:assert/strict";
import { type DeadlineClock, Deadlines } from "./deadlines.ts";

/** A clock that moves only when told, with at most one timer, as Deadlines uses it. */
class FakeClock implements DeadlineClock {
  time = 0;
  timer?: { at: number; fire: () => void };
  /** Timers set, for counting. */
  sets = 0;

  now(): number {
    return this.time;
  }
  set(fire: () => void, ms: number): unknown {
    assert.equal(this.timer, undefined, "a second timer while one is set");
    this.sets++;
    this.timer = { at: this.time + ms, fire };
    return this.timer;
  }
  clear(timer: unknown): void {
    assert.equal(timer, this.timer, "cleared a timer that is not the one set");
    this.timer = undefined;
  }
  /** Moves on to the moment `time`, firing the timer whenever it is due on the way. */
  advance(time: number): void {
    while (this.timer !== undefined && this.timer.at <= time) {
      const { at, fire } = this.timer;
      this.time = at;
      this.timer = undefined;
      fire();
    }
    this.time = time;
  }
}

function setup() {
  const clock = new FakeClock();
  const expired: string[] = [];
  const deadlines = new Deadlines<string>((item) => expired.push(`${item}@${clock.time}`), clock);
  return { clock, expired, deadlines };
}

Deno.test("Deadlines expires each timeout at its own time, in order, on one timer", () => {
  const { clock, expired, deadlines } = setup();
  deadlines.add("a", 100);
  clock.advance(10);
  deadlines.add("b", 100);
  deadlines.add("c", 30); // another duration, due first
  clock.advance(50);
  assert.deepEqual(expired, ["c@40"]);
  clock.advance(200);
  assert.deepEqual(expired, ["c@40", "a@100", "b@110"]);
  assert.equal(deadlines.pending, 0);
  assert.equal(clock.timer, undefined);
});

Deno.test("Deadlines never expires a settled timeout", () => {
  const { clock, expired, deadlines } = setup();
  const a = deadlines.add("a", 100);
  deadlines.add("b", 100);
  deadlines.settle(a);
  deadlines.settle(a); // twice does nothing
  assert.equal(deadlines.pending, 1);
  clock.advance(1_000);
  assert.deepEqual(expired, ["b@100"]);
});

Deno.test("Deadlines keeps no timer once nothing is pending, and one timer under load", () => {
  const { clock, expired, deadlines } = setup();
  // Requests answered quickly, many in flight: settled in the order they were made.
  const inFlight = [];
  for (let i = 0; i < 10_000; i++) {
    inFlight.push(deadlines.add(`r${i}`, 20_000));
    clock.advance(i + 1);
    if (inFlight.length > 64) deadlines.settle(inFlight.shift()!);
  }
  // One timer for the whole run, not one per request.
  assert.equal(clock.sets, 1);
  for (const deadline of inFlight) deadlines.settle(deadline);
  assert.equal(deadlines.pending, 0);
  assert.equal(clock.timer, undefined, "a timer outlived every timeout");
  clock.advance(100_000);
  assert.deepEqual(expired, []);
});

Deno.test("Deadlines sets its timer again for the next live timeout after one expires", () => {
  const { clock, expired, deadlines } = setup();
  const settledFirst = deadlines.add("early", 100);
  clock.advance(50);
  deadlines.add("late", 100);
  clock.advance(110);
  deadlines.settle(settledFirst); // already expired: nothing happens
  assert.deepEqual(expired, ["early@100"]);
  assert.equal(clock.timer?.at, 150);
  clock.advance(150);
  assert.deepEqual(expired, ["early@100", "late@150"]);
});

Deno.test("an expiry may add and settle timeouts", () => {
  const clock = new FakeClock();
  const expired: string[] = [];
  const deadlines: Deadlines<string> = new Deadlines((item) => {
    expired.push(`${item}@${clock.time}`);
    if (item === "a") deadlines.add("retry", 50);
  }, clock);
  deadlines.add("a", 100);
  clock.advance(1_000);
  assert.deepEqual(expired, ["a@100", "retry@150"]);
  assert.equal(deadlines.pending, 0);
});

Deno.test("Deadlines on the real clock leaves no timer behind", async () => {
  const expired: number[] = [];
  const deadlines = new Deadlines<number>((item) => expired.push(item));
  const settled = deadlines.add(1, 10);
  deadlines.add(2, 10);
  deadlines.settle(settled);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(expired, [2]);
  // The test's sanitizers fail it if a timer is still set.
  const last = deadlines.add(3, 10_000);
  deadlines.settle(last);
});

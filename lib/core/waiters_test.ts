import assert from "node:assert/strict";
import { manualStopper } from "./signals.ts";
import { Waiters } from "./waiters.ts";

Deno.test("a wait ends at wakeAll(), its time or its deadline, and is forgotten however it ends", async () => {
  const waiters = new Waiters();
  const woken = waiters.wait();
  const timed = waiters.wait({ ms: 1 });
  const deadline = Promise.withResolvers<void>();
  const cut = waiters.wait({ until: deadline.promise });
  assert.equal(waiters.size, 3);
  await timed;
  assert.equal(waiters.size, 2);
  deadline.reject(new Error("a deadline that fails ends the wait too"));
  await cut;
  assert.equal(waiters.size, 1);
  waiters.wakeAll();
  await woken;
  assert.equal(waiters.size, 0);
});

Deno.test("a stopper's sleep ends after its time or at the stop, and once stopped at once", async () => {
  const stopper = manualStopper();
  await stopper.sleep(1);
  const sleeping = stopper.sleep(60_000);
  stopper.stop();
  await sleeping;
  await stopper.sleep(60_000);
});

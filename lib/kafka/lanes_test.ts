import assert from "node:assert/strict";
import { PipelinedSender, type Splitter } from "./lanes.ts";

type Item = { message: { key: string; value: string }; n: number };
const item = (n: number): Item => ({ message: { key: `k${n}`, value: `${n}` }, n });
/** Two lanes: even numbers to lane 0, odd to lane 1. */
const twoLanes: Splitter = {
  split<T>(items: readonly T[]): T[][] {
    const lanes: T[][] = [[], []];
    for (const i of items) lanes[(i as unknown as Item).n % 2].push(i);
    return lanes;
  },
};

Deno.test("one batch is in flight at a time, each split between the lanes", async () => {
  const log: string[] = [];
  let inFlight = 0;
  let most = 0;
  const sender = new PipelinedSender<Item>(twoLanes, async (lane, share) => {
    inFlight++;
    most = Math.max(most, inFlight);
    log.push(`${lane}:${share.map((i) => i.n).join(",")}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
  });
  await sender.send([1, 2, 3, 4].map(item));
  await sender.send([5, 6].map(item)); // waits for the first batch
  await sender.send([8].map(item)); // lane 1 has nothing: not called
  await sender.settle();
  assert.deepEqual(log, ["0:2,4", "1:1,3", "0:6", "1:5", "0:8"]);
  assert.equal(most, 2, "the two lanes of one batch overlap, batches do not");
});

Deno.test("a lane that gives up fails the next send, after the other lanes finished", async () => {
  let finished = 0;
  const sender = new PipelinedSender<Item>(twoLanes, async (lane) => {
    await new Promise((resolve) => setTimeout(resolve, lane === 0 ? 10 : 1));
    if (lane === 1) throw new Error("message too large");
    finished++;
  });
  await sender.send([1, 2].map(item));
  await assert.rejects(sender.send([3].map(item)), /message too large/);
  assert.equal(finished, 1, "lane 0 was waited for");
  await assert.rejects(sender.settle(), /message too large/);
});

import assert from "node:assert/strict";
import { cpuDuring, cpuSecondsOf, statCpuSeconds } from "./measure.ts";

// A /proc/<pid>/stat line: utime 250 and stime 30 ticks, after a command name with a space and
// parentheses of its own.
const line = "4242 (deno (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 9 0 12 0";

Deno.test("statCpuSeconds() adds user and system time after the command name", () => {
  assert.equal(statCpuSeconds(`status\n${line}\n`, 4242), 2.8);
  assert.equal(statCpuSeconds(line, 4243), undefined);
  assert.equal(statCpuSeconds("", 4242), undefined);
});

Deno.test("cpuDuring() counts the CPU a process spends in the work, and its result", async () => {
  const { result, seconds, cpu } = await cpuDuring({ self: Deno.pid }, () => {
    const until = performance.now() + 300;
    let spins = 0;
    while (performance.now() < until) spins++;
    return Promise.resolve(spins);
  });
  assert.ok(result > 0);
  assert.ok(seconds >= 0.3);
  // Ticks are 1/100 s: 0.3 s of spinning reads as at least 0.2 s however the ticks fall.
  assert.ok(cpu.self >= 0.2 && cpu.self <= seconds + 0.05, `${cpu.self} CPU s in ${seconds} s`);
});

Deno.test("cpuSecondsOf() names the process it cannot read", async () => {
  await assert.rejects(() => cpuSecondsOf(2 ** 22 + 7), /process 4194311/);
});

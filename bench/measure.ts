/** What every bench step shares: timing, running the CLI with its peak memory, the results table. */
import { CLI } from "../tests/support/helpers.ts";

/** One measured figure and whether it meets its target. */
export interface Result {
  name: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean;
}

/** Collects results as they come, printing each to stderr, and renders them as a table. */
export class Results {
  readonly all: Result[] = [];

  add(name: string, value: number, unit: string, target = "", ok = true): void {
    this.all.push({ name, value, unit, target, ok });
    console.error(`${name}: ${format(value)} ${unit}${target ? ` (target ${target})` : ""}`);
  }

  /** A ratio in percent, with its target when `atLeast` (a fraction) is given. */
  ratio(name: string, numerator: number, denominator: number, atLeast?: number): void {
    const percent = (100 * numerator) / denominator;
    if (atLeast === undefined) return this.add(name, percent, "%");
    this.add(name, percent, "%", `>= ${100 * atLeast} %`, numerator >= atLeast * denominator);
  }

  /** A Markdown table for the README. */
  table(): string {
    const lines = ["| measure | value | target | met |", "|---|---|---|---|"];
    for (const r of this.all) {
      const met = r.target ? (r.ok ? "yes" : "**no**") : "";
      lines.push(`| ${r.name} | ${format(r.value)} ${r.unit} | ${r.target} | ${met} |`);
    }
    return lines.join("\n");
  }

  get ok(): boolean {
    return this.all.every((r) => r.ok);
  }
}

function format(value: number): string {
  return value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString("en-US");
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median wall time of `runs` calls, in milliseconds. */
export async function medianTime(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Seconds `work` takes. */
export async function seconds(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** A finished command with its wall time and peak resident memory. */
export interface Measured {
  stdout: string;
  stderr: string;
  seconds: number;
  peakMiB: number;
  /** CPU seconds (user + system) the process used, read at its last sample. */
  cpu: number;
}

/**
 * Runs a command to its end, timing it from spawn to exit and sampling its peak resident set
 * (VmHWM) and its CPU time (user + system, in clock ticks of 1/100 s) every 100 ms. Deno lets
 * only --allow-all read another process's /proc entry, so `cat` reads it. Throws with the
 * command's stderr when it fails.
 */
export async function measure(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Measured> {
  const started = performance.now();
  const child = new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" })
    .spawn();
  const stdout = new Response(child.stdout).text();
  const stderr = new Response(child.stderr).text();
  let peakKb = 0;
  let cpu = 0;
  const poll = setInterval(async () => {
    // One read of both files: `status` (its VmHWM line), then the one-line `stat`.
    const out = await new Deno.Command("cat", {
      args: [`/proc/${child.pid}/status`, `/proc/${child.pid}/stat`],
      stdout: "piped",
      stderr: "null",
    }).output().catch(() => undefined);
    const text = new TextDecoder().decode(out?.stdout);
    const hwm = Number(text.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
    if (hwm > peakKb) peakKb = hwm;
    cpu = statCpuSeconds(text, child.pid) ?? cpu;
  }, 100);
  const status = await child.status;
  clearInterval(poll);
  const result = {
    stdout: await stdout,
    stderr: await stderr,
    seconds: (performance.now() - started) / 1000,
    peakMiB: peakKb / 1024,
    cpu,
  };
  if (!status.success) {
    throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr}${result.stdout}`);
  }
  return result;
}

/**
 * The CPU seconds (user + system) in a process's `/proc/<pid>/stat` line within `text`: its
 * fields after the command name in parentheses, utime and stime the 12th and 13th, in clock
 * ticks of 1/100 s. Undefined when the line is not there (the process ended).
 */
export function statCpuSeconds(text: string, pid: number): number | undefined {
  const fields = text.match(new RegExp(`^${pid} \\(.*\\) (.*)$`, "m"))?.[1].split(" ");
  return fields === undefined ? undefined : (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The CPU seconds a running process has used so far (read by `cat`, as measure() does). */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const cpu = statCpuSeconds(new TextDecoder().decode(out.stdout), pid);
  if (cpu === undefined) throw new Error(`Cannot read the CPU time of process ${pid}`);
  return cpu;
}

/** What `work` took: its result, its wall seconds, and the CPU seconds each process used. */
export async function cpuDuring<T, K extends string>(
  pids: Record<K, number>,
  work: () => Promise<T>,
): Promise<{ result: T; seconds: number; cpu: Record<K, number> }> {
  const names = Object.keys(pids) as K[];
  const before = await Promise.all(names.map((name) => cpuSecondsOf(pids[name])));
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const after = await Promise.all(names.map((name) => cpuSecondsOf(pids[name])));
  const cpu = Object.fromEntries(names.map((name, i) => [name, after[i] - before[i]]));
  return { result, seconds, cpu: cpu as Record<K, number> };
}

/** The CLI as a user runs it (the wrapper execs deno, so its pid is the CLI's). */
export function measureCli(args: string[], env: Record<string, string> = {}): Promise<Measured> {
  return measure(CLI, args, env);
}

import { userInfo } from "node:os";
import { defineCommand } from "../lib/cli/command.ts";
import {
  CATALOG_FLAGS,
  CATALOG_HELP,
  type CatalogFlags,
  catalogFlags,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
  METRICS_FLAGS,
  METRICS_HELP,
} from "../lib/cli/common_flags.ts";
import { type Env, flagHelp, option, readFlags } from "../lib/cli/flags.ts";
import { UsageError } from "../lib/core/errors.ts";
import { parseInterval } from "../lib/core/interval.ts";
import { integer, Invalid, type ListenAddress, nonEmpty, type Parser } from "../lib/core/parse.ts";

/** Events per second, or `max`: the milliseconds between two events (0 for max). */
const parseRate: Parser<number> = (raw) => {
  if (raw.trim().toLowerCase() === "max") return 0;
  const perSecond = Number(raw);
  if (!Number.isFinite(perSecond) || perSecond <= 0 || perSecond > 1_000_000) {
    return new Invalid(`takes events per second (e.g. 50) or 'max', got '${raw}'`);
  }
  return 1000 / perSecond;
};

const PRODUCE_FLAGS = {
  people: option({
    arg: "N",
    help: "fake people in the pool, besides --me",
    default: "10",
    parse: integer({ min: 0, max: 1_000_000 }),
  }),
  me: option({
    arg: "NAME",
    help: "a named person always in the pool",
    env: "REVIEWS_ME",
    defaultNote: "the OS user",
    parse: nonEmpty("name"),
  }),
  interval: option({
    arg: "DURATION",
    help: "one event every DURATION (500ms, 5s, 1m)",
    default: "5s",
    parse: parseInterval,
  }),
  rate: option({
    arg: "N|max",
    help: "N events a second instead, or as fast as the broker takes them",
    parse: parseRate,
  }),
  count: option({
    arg: "N",
    help: "stop after N events",
    defaultNote: "no limit",
    parse: integer({ min: 1 }),
  }),
  seed: option({
    arg: "S",
    help: "makes people, titles and ratings reproducible",
    parse: integer({ min: 0 }),
  }),
  "batch-size": option({
    arg: "N",
    help: "events per batch at high rates, split over the lanes",
    default: "1500",
    parse: integer({ min: 1, max: 100_000 }),
  }),
  lanes: option({
    arg: "N",
    help:
      "idempotent producers sending in parallel, each the only writer\nof its share of the partitions",
    default: "3",
    parse: integer({ min: 1, max: 64 }),
  }),
  "progress-every": option({
    arg: "DURATION",
    help: "how often the progress line is printed",
    default: "5s",
    parse: parseInterval,
  }),
};

/** Help of `./reviews produce`. */
export const PRODUCE_HELP = `Usage: ./reviews produce [flags]

Fake people (Faker) review movies or play songs from the catalog. Each event is JSON, sent in
gzip-compressed batches, keyed by the person so one person's events stay in order on one
partition, acknowledged by all in-sync replicas. The producer is idempotent: a send retried after
a broker failure is never written twice. Ctrl-C flushes what is pending and exits 0.

${flagHelp("Flags", PRODUCE_FLAGS)}

${CATALOG_HELP}

${METRICS_HELP}

${COMMON_HELP}`;

/** Options of produce. */
export interface ProduceOptions extends CommonOptions, CatalogFlags {
  people: number;
  me: string;
  /** Milliseconds between two events; 0 means as fast as the broker takes them. */
  periodMs: number;
  count?: number;
  seed?: number;
  batchSize: number;
  lanes: number;
  progressEveryMs: number;
  metricsAddr?: ListenAddress;
}

/** Turns produce's flags into options; pure. */
export function parseProduceOptions(args: readonly string[], env: Env): ProduceOptions {
  const { values, given } = readFlags(
    "produce",
    {
      ...COMMON_FLAGS,
      ...CATALOG_FLAGS,
      ...PRODUCE_FLAGS,
      ...METRICS_FLAGS,
    },
    args,
    env,
  );
  if (values.rate !== undefined && given.has("interval")) {
    throw new UsageError("Flags --rate and --interval both set the pace; give one of them");
  }
  return {
    ...commonOptions(values),
    ...catalogFlags(values),
    people: values.people,
    me: values.me ?? osUser(),
    periodMs: values.rate ?? values.interval,
    count: values.count,
    seed: values.seed,
    batchSize: values["batch-size"],
    lanes: values.lanes,
    progressEveryMs: values["progress-every"],
    metricsAddr: values["metrics-addr"],
  };
}

function osUser(): string {
  const fromEnv = Deno.env.get("USER") ?? Deno.env.get("LOGNAME") ?? Deno.env.get("USERNAME");
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return "me";
  }
}

/** `./reviews produce`. */
export const PRODUCE = defineCommand<ProduceOptions>({
  name: "produce",
  summary: "send fake reviews or listens to Kafka",
  help: PRODUCE_HELP,
  parse: parseProduceOptions,
  run: async (options, { kafka, logger, out }) => {
    // Loaded only to run: help and usage errors need none of it.
    const { runProduce } = await import("./produce_run.ts");
    await runProduce(options, { kafka: await kafka(), logger, out });
  },
});

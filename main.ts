/**
 * `reviews`: a streaming pipeline in one binary. Fake people review movies or play songs
 * (produce), events flow through Kafka, are validated, enriched from a catalog and written to
 * Cassandra in micro-batches (stream), and a person's hour can be queried (query).
 */
import denoConfig from "./deno.json" with { type: "json" };
import {
  INIT_SCHEMA_HELP,
  type InitSchemaOptions,
  parseInitSchemaOptions,
  runInitSchema,
} from "./commands/init_schema.ts";
import {
  parseProduceOptions,
  PRODUCE_HELP,
  type ProduceOptions,
  runProduce,
} from "./commands/produce.ts";
import { parseQueryOptions, QUERY_HELP, type QueryOptions, runQuery } from "./commands/query.ts";
import {
  parseStreamOptions,
  runStream,
  STREAM_HELP,
  type StreamOptions,
} from "./commands/stream.ts";
import type { Env } from "./lib/args.ts";
import type { CassandraClient } from "./lib/cassandra.ts";
import type { CommonOptions } from "./lib/common_options.ts";
import { ExitCode, messageOf, ReviewsError, UsageError } from "./lib/errors.ts";
import type { KafkaClient } from "./lib/kafka.ts";
import { StderrLogger } from "./lib/log.ts";

/** The version printed by `--version`. */
export const VERSION: string = denoConfig.version;

/** The command line, parsed. */
export type Command =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "produce"; options: ProduceOptions }
  | { kind: "stream"; options: StreamOptions }
  | { kind: "init-schema"; options: InitSchemaOptions }
  | { kind: "query"; options: QueryOptions };

const SUBCOMMANDS = {
  produce: { help: PRODUCE_HELP, summary: "send fake reviews or listens to Kafka" },
  stream: {
    help: STREAM_HELP,
    summary: "consume, validate, enrich and write micro-batches to Cassandra",
  },
  "init-schema": {
    help: INIT_SCHEMA_HELP,
    summary: "create the Kafka topics, keyspace and table (idempotent)",
  },
  query: {
    help: QUERY_HELP,
    summary: "a person's titles or averages in an hour, samples, raw CQL",
  },
} as const;

type SubcommandName = keyof typeof SUBCOMMANDS;

/** Help of `./reviews` itself. */
export const MAIN_HELP =
  `reviews ${VERSION}: a Kafka to Cassandra streaming pipeline for movie reviews and song listens

Usage: ./reviews COMMAND [flags]

Commands:
${
    Object.entries(SUBCOMMANDS).map(([name, { summary }]) => `  ${name.padEnd(13)} ${summary}`)
      .join("\n")
  }

Every command takes --dataset movies|songs (default movies, or REVIEWS_DATASET), the
connection flags (--brokers, --contact-points, ...) and --help.

Start local Kafka and Cassandra with 'deno task up', then try 'deno task demo'.
Options:
  -h, --help       this help
  -V, --version    the version`;

/** Parses the whole command line into one Command; throws UsageError on anything unknown. */
export function parseCommand(argv: readonly string[], env: Env): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined) return { kind: "help", text: subcommand(topic).help };
    return { kind: "help", text: MAIN_HELP };
  }
  if (first === "-V" || first === "--version") return { kind: "version" };
  if (first.startsWith("-")) {
    throw new UsageError(`Unknown flag '${first}' before the command`, "Run './reviews --help'.");
  }
  const name = first as SubcommandName;
  const spec = subcommand(first);
  if (rest.includes("--help") || rest.includes("-h")) return { kind: "help", text: spec.help };
  switch (name) {
    case "produce":
      return { kind: name, options: parseProduceOptions(rest, env) };
    case "stream":
      return { kind: name, options: parseStreamOptions(rest, env) };
    case "init-schema":
      return { kind: name, options: parseInitSchemaOptions(rest, env) };
    case "query":
      return { kind: name, options: parseQueryOptions(rest, env) };
    default: {
      const unreachable: never = name;
      throw new UsageError(`Unknown command '${unreachable}'`);
    }
  }
}

function subcommand(name: string): (typeof SUBCOMMANDS)[SubcommandName] {
  if (Object.hasOwn(SUBCOMMANDS, name)) return SUBCOMMANDS[name as SubcommandName];
  const close = Object.keys(SUBCOMMANDS).find((known) => editDistance(known, name) <= 2);
  throw new UsageError(
    `Unknown command '${name}'`,
    `${close ? `Did you mean '${close}'? ` : ""}Run './reviews --help' for the list of commands.`,
  );
}

/** Runs a parsed command with real clients, closing them whatever happens. */
export async function execute(command: Command): Promise<void> {
  const out = (text: string) => console.log(text);
  switch (command.kind) {
    case "help":
      out(command.text);
      return;
    case "version":
      out(`reviews ${VERSION}`);
      return;
    case "produce":
      await withClients(command.options, { kafka: true }, async ({ kafka, logger }) => {
        await runProduce(command.options, { kafka: kafka!, logger, out });
      });
      return;
    case "stream":
      await withClients(command.options, { kafka: true, cassandra: true }, async (c) => {
        await runStream(command.options, {
          kafka: c.kafka!,
          cassandra: c.cassandra!,
          logger: c.logger,
          out,
        });
      });
      return;
    case "init-schema":
      await withClients(command.options, { kafka: true, cassandra: true }, async (c) => {
        await runInitSchema(command.options, { kafka: c.kafka!, cassandra: c.cassandra!, out });
      });
      return;
    case "query":
      await withClients(command.options, { cassandra: true }, async ({ cassandra }) => {
        await runQuery(command.options, { cassandra: cassandra!, out });
      });
      return;
    default: {
      const unreachable: never = command;
      throw new Error(`Unhandled command ${JSON.stringify(unreachable)}`);
    }
  }
}

async function withClients(
  options: CommonOptions,
  wanted: { kafka?: boolean; cassandra?: boolean },
  body: (
    clients: { kafka?: KafkaClient; cassandra?: CassandraClient; logger: StderrLogger },
  ) => Promise<void>,
): Promise<void> {
  const logger = new StderrLogger(options.debug);
  // The client libraries load here, once a command needs them: help, the version and usage
  // errors never pay for them.
  const kafka = wanted.kafka
    ? new (await import("./lib/kafka.ts")).KafkaClient(options.connection.kafka, logger)
    : undefined;
  const cassandra = wanted.cassandra
    ? new (await import("./lib/cassandra.ts")).CassandraClient(options.connection.cassandra, logger)
    : undefined;
  try {
    await body({ kafka, cassandra, logger });
  } finally {
    await Promise.allSettled([kafka?.close(), cassandra?.close()]);
  }
}

/** Runs the CLI and returns its exit code; the only place that prints errors. */
export async function main(argv: readonly string[], env: Env): Promise<number> {
  const debug = argv.includes("--debug");
  try {
    await execute(parseCommand(argv, env));
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof ReviewsError) {
      console.error(`error: ${error.message}`);
      if (error.hint) console.error(`hint: ${error.hint}`);
      if (debug) console.error(error.cause ?? error);
      return error.exitCode;
    }
    console.error(`error: ${messageOf(error)}`);
    console.error(debug ? error : "hint: run again with --debug for the stack trace");
    return ExitCode.Failure;
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, Deno.env.toObject()));
}

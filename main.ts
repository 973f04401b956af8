/**
 * `reviews`: a streaming pipeline in one binary. Fake people review movies or play songs
 * (produce), events flow through Kafka, are validated, enriched from a catalog and written to
 * Cassandra in micro-batches (stream), and a person's hour can be queried (query).
 */
import denoConfig from "./deno.json" with { type: "json" };
import { INIT_SCHEMA } from "./commands/init_schema.ts";
import { PRODUCE } from "./commands/produce.ts";
import { QUERY } from "./commands/query.ts";
import { REPORT } from "./commands/report.ts";
import { STREAM } from "./commands/stream.ts";
import type { CassandraClient } from "./lib/cassandra/client.ts";
import type { CommandContext, CommandEntry, ParsedCommand } from "./lib/cli/command.ts";
import type { Env } from "./lib/cli/flags.ts";
import { ExitCode, messageOf, ReviewsError, UsageError } from "./lib/core/errors.ts";
import { StderrLogger } from "./lib/core/log.ts";
import type { KafkaClient } from "./lib/kafka/client.ts";

/** The version printed by `--version`. */
export const VERSION: string = denoConfig.version;

/** The subcommands, in the order the help lists them: one line each. */
const COMMANDS: readonly CommandEntry[] = [PRODUCE, STREAM, INIT_SCHEMA, QUERY, REPORT];

/** The command line, parsed. */
export type Invocation =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "run"; command: ParsedCommand };

/** Help of `./reviews` itself. */
export const MAIN_HELP =
  `reviews ${VERSION}: a Kafka to Cassandra streaming pipeline for movie reviews and song listens

Usage: ./reviews COMMAND [flags]

Commands:
${COMMANDS.map(({ name, summary }) => `  ${name.padEnd(13)} ${summary}`).join("\n")}

Every command takes --dataset movies|songs (default movies, or REVIEWS_DATASET), the
connection flags (--brokers, --contact-points, ...) and --help.

Start local Kafka and Cassandra with 'deno task up', then try 'deno task demo'.
Options:
  -h, --help       this help
  -V, --version    the version`;

/** Parses the whole command line; throws UsageError on anything unknown. */
export function parseCommandLine(argv: readonly string[], env: Env): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined) return { kind: "help", text: commandNamed(topic).help };
    return { kind: "help", text: MAIN_HELP };
  }
  if (first === "-V" || first === "--version") return { kind: "version" };
  if (first.startsWith("-")) {
    throw new UsageError(`Unknown flag '${first}' before the command`, "Run './reviews --help'.");
  }
  const command = commandNamed(first);
  if (rest.includes("--help") || rest.includes("-h")) return { kind: "help", text: command.help };
  return { kind: "run", command: command.parse(rest, env) };
}

function commandNamed(name: string): CommandEntry {
  const found = COMMANDS.find((command) => command.name === name);
  if (found !== undefined) return found;
  const close = COMMANDS.find((command) => editDistance(command.name, name) <= 2)?.name;
  throw new UsageError(
    `Unknown command '${name}'`,
    `${close ? `Did you mean '${close}'? ` : ""}Run './reviews --help' for the list of commands.`,
  );
}

/** Runs what the command line asked for, closing every client it opened whatever happens. */
export async function execute(invocation: Invocation): Promise<void> {
  const out = (text: string) => console.log(text);
  if (invocation.kind === "help") return out(invocation.text);
  if (invocation.kind === "version") return out(`reviews ${VERSION}`);
  const { options, run } = invocation.command;
  const logger = new StderrLogger(options.debug);
  const { kafka: kafkaConfig, cassandra: cassandraConfig } = options.connection;
  if (
    kafkaConfig.tls?.verifyHostname === false || cassandraConfig.tls?.verifyHostname === false
  ) {
    logger.warn(
      "TLS HOSTNAME VERIFICATION IS OFF (--insecure-skip-hostname-verification): any " +
        "certificate the CA signed is accepted for any host. Never use this in production.",
    );
  }
  // The client libraries load here, once a command asks for a client: help, the version and
  // usage errors never pay for them.
  let kafka: Promise<KafkaClient> | undefined;
  let cassandra: Promise<CassandraClient> | undefined;
  const context: CommandContext = {
    kafka: () =>
      kafka ??= import("./lib/kafka/client.ts").then(({ KafkaClient }) =>
        new KafkaClient(options.connection.kafka, logger)
      ),
    cassandra: () =>
      cassandra ??= import("./lib/cassandra/client.ts").then(({ CassandraClient }) =>
        new CassandraClient(options.connection.cassandra, logger)
      ),
    logger,
    out,
  };
  try {
    await run(context);
  } finally {
    await Promise.allSettled([
      kafka?.then((client) => client.close()),
      cassandra?.then((client) => client.close()),
    ]);
  }
}

/** Runs the CLI and returns its exit code; the only place that prints errors. */
export async function main(argv: readonly string[], env: Env): Promise<number> {
  const debug = argv.includes("--debug");
  try {
    await execute(parseCommandLine(argv, env));
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

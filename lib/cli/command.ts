/**
 * What a command is to main.ts: a name, a summary, its help, a parser of its arguments and a run
 * function. Clients are opened on demand, so help and usage errors load no client library, and
 * closed by main.ts whatever happens.
 */
import type { CassandraClient } from "../cassandra/client.ts";
import type { Logger } from "../core/log.ts";
import type { KafkaClient } from "../kafka/client.ts";
import type { CommonOptions } from "./common_flags.ts";
import type { Env } from "./flags.ts";

/** What a running command may use: clients opened on first use, the logger, stdout. */
export interface CommandContext {
  kafka(): Promise<KafkaClient>;
  cassandra(): Promise<CassandraClient>;
  logger: Logger;
  out: (text: string) => void;
}

/** A subcommand: `./reviews NAME ...`. */
export interface Command<O extends CommonOptions> {
  name: string;
  /** One line for `./reviews --help`. */
  summary: string;
  help: string;
  /** Turns the arguments after the name into options; pure, throws UsageError. */
  parse(args: readonly string[], env: Env): O;
  run(options: O, context: CommandContext): Promise<void>;
}

/** A command with its options parsed, ready to run. */
export interface ParsedCommand {
  options: CommonOptions;
  run(context: CommandContext): Promise<void>;
}

/** A command as main.ts lists it, its options' type hidden behind `parse`. */
export interface CommandEntry {
  name: string;
  summary: string;
  help: string;
  /** Parses the arguments after the name and binds them to the command's run function. */
  parse(args: readonly string[], env: Env): ParsedCommand;
}

/** Declares a command for main.ts's list. */
export function defineCommand<O extends CommonOptions>(command: Command<O>): CommandEntry {
  return {
    name: command.name,
    summary: command.summary,
    help: command.help,
    parse(args, env) {
      const options = command.parse(args, env);
      return { options, run: (context) => command.run(options, context) };
    },
  };
}

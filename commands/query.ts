import { defineCommand } from "../lib/cli/command.ts";
import { type Env, flagHelp, option, readFlags, toggle } from "../lib/cli/flags.ts";
import { integer } from "../lib/core/parse.ts";
import { type ConsistencyName, parseConsistency } from "../lib/cassandra/consistency.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
} from "../lib/cli/common_flags.ts";
import { numericColumns } from "../lib/pipeline/dataset.ts";
import { UsageError } from "../lib/core/errors.ts";
import { parseDate, parseHour } from "../lib/pipeline/hour_bucket.ts";

const QUERY_FLAGS = {
  person: option({ arg: "NAME", help: "the person", parse: (raw) => raw.trim() }),
  hour: option({ arg: "HOUR", help: "the hour", parse: parseHour }),
  date: option({ arg: "YYYY-MM-DD", help: "the UTC day (for day)", parse: parseDate }),
  limit: option({
    arg: "N",
    help: "rows for sample",
    default: "50",
    parse: integer({ min: 1, max: 100_000 }),
  }),
  json: toggle({ help: "JSON instead of an aligned table" }),
  consistency: option({
    arg: "LEVEL",
    help: "read consistency",
    default: "local_quorum",
    parse: parseConsistency,
  }),
};

/** Help of `./reviews query`. */
export const QUERY_HELP = `Usage: ./reviews query REPORT [arguments] [flags]

Reports:
  titles --person NAME --hour HOUR        what that person reviewed or played in that hour,
                                          in time order (with the rating, for movies)
  avg COLUMN --person NAME --hour HOUR    average of a numeric column for that person and hour
                                          (movies: rating, duration, seasons, release_year;
                                          songs: danceability, tempo, energy, duration_ms, ...)
  day --person NAME --date YYYY-MM-DD     that person's UTC day: for each hour, the rows and the
                                          averages of the report columns (movies: rating,
                                          duration; songs: danceability), with a bar per hour;
                                          24 single-partition reads run concurrently
  sample [--limit N]                      a sample of stored rows [${QUERY_FLAGS.limit.default}]
  cql "STATEMENT"                         runs raw CQL (with --keyspace as the session's
                                          keyspace) and prints the result

HOUR is 'YYYY-MM-DD HH:00' in UTC, or an ISO-8601 time with an offset
('2024-03-01T16:20:00+02:00' is the hour '2024-03-01 14:00'). Names are bound as parameters.

${flagHelp("Flags", QUERY_FLAGS)}

${COMMON_HELP}`;

/** The report asked for. */
export type Report =
  | { kind: "titles"; person: string; hour: string }
  | { kind: "avg"; column: string; person: string; hour: string }
  | { kind: "day"; person: string; date: string }
  | { kind: "sample"; limit: number }
  | { kind: "cql"; statement: string };

/** Options of query. */
export interface QueryOptions extends CommonOptions {
  report: Report;
  json: boolean;
  consistency: ConsistencyName;
}

const REPORTS = ["titles", "avg", "day", "sample", "cql"];

/** Turns query's arguments into options; pure. */
export function parseQueryOptions(args: readonly string[], env: Env): QueryOptions {
  const { values, positionals } = readFlags(
    "query",
    { ...COMMON_FLAGS, ...QUERY_FLAGS },
    args,
    env,
    2,
  );
  const common = commonOptions(values);
  const [kind, argument] = positionals;
  const hint = "Run './reviews query --help' for the reports.";
  if (kind === undefined) {
    throw new UsageError(`Missing report: one of ${REPORTS.join(", ")}`, hint);
  }
  const person = () => {
    const value = values.person;
    if (!value) throw new UsageError(`Report '${kind}' needs --person NAME`, hint);
    return value;
  };
  const hour = () => {
    const value = values.hour;
    if (value === undefined) throw new UsageError(`Report '${kind}' needs --hour HOUR`, hint);
    return value;
  };
  const noArgument = () => {
    if (argument !== undefined) {
      throw new UsageError(`Unexpected argument for '${kind}': ${argument}`, hint);
    }
  };
  let report: Report;
  switch (kind) {
    case "titles":
      noArgument();
      report = { kind, person: person(), hour: hour() };
      break;
    case "avg": {
      const valid = numericColumns(common.dataset);
      if (argument === undefined) {
        throw new UsageError(`Report 'avg' needs a column: one of ${valid.join(", ")}`, hint);
      }
      if (!valid.includes(argument)) {
        throw new UsageError(
          `Unknown numeric column '${argument}' for the ${common.dataset.name} dataset`,
          `Valid columns: ${valid.join(", ")}.`,
        );
      }
      report = { kind, column: argument, person: person(), hour: hour() };
      break;
    }
    case "day": {
      noArgument();
      const date = values.date;
      if (date === undefined) {
        throw new UsageError("Report 'day' needs --date YYYY-MM-DD", hint);
      }
      report = { kind, person: person(), date };
      break;
    }
    case "sample":
      noArgument();
      report = {
        kind,
        limit: values.limit,
      };
      break;
    case "cql":
      if (argument === undefined || argument.trim() === "") {
        throw new UsageError("Report 'cql' needs a statement in quotes", hint);
      }
      report = { kind, statement: argument };
      break;
    default:
      throw new UsageError(`Unknown report '${kind}': use one of ${REPORTS.join(", ")}`, hint);
  }
  return {
    ...common,
    report,
    json: values.json,
    consistency: values.consistency,
  };
}

/** `./reviews query`. */
export const QUERY = defineCommand<QueryOptions>({
  name: "query",
  summary: "a person's titles or averages in an hour, samples, raw CQL",
  help: QUERY_HELP,
  parse: parseQueryOptions,
  run: async (options, { cassandra, out }) => {
    // Loaded only to run: help and usage errors need none of it.
    const { runQuery } = await import("./query_run.ts");
    await runQuery(options, { cassandra: await cassandra(), out });
  },
});

import { describeCassandraError } from "../lib/core/retry.ts";
import { defineCommand } from "../lib/cli/command.ts";
import { type Env, flagHelp, option, readFlags, toggle } from "../lib/cli/flags.ts";
import { integer } from "../lib/core/parse.ts";
import type { CqlReader } from "../lib/cassandra/client.ts";
import {
  CONSISTENCY_LEVELS,
  type ConsistencyName,
  parseConsistency,
} from "../lib/cassandra/consistency.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
} from "../lib/cli/common_flags.ts";
import { numericColumns, reportColumns } from "../lib/pipeline/dataset.ts";
import { ReviewsError, UsageError } from "../lib/core/errors.ts";
import { parseDate, parseHour } from "../lib/pipeline/hour_bucket.ts";
import { formatTable } from "../lib/cli/table.ts";
import { type Plain, plain } from "../lib/cassandra/plain.ts";
import {
  type HourSummary,
  readAverage,
  readDay,
  readSample,
  readTitles,
} from "../lib/cassandra/reads.ts";

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

/** What query needs from the outside world. */
export interface QueryDeps {
  cassandra: CqlReader;
  out: (text: string) => void;
}

/** A report's result: columns and rows, plus a headline for the text form. */
export interface QueryResult {
  columns: string[];
  rows: Plain[][];
  /** Summary values (the average, its count) for `avg`. */
  summary?: Record<string, Plain>;
}

/** `./reviews query`. */
export const QUERY = defineCommand<QueryOptions>({
  name: "query",
  summary: "a person's titles or averages in an hour, samples, raw CQL",
  help: QUERY_HELP,
  parse: parseQueryOptions,
  run: async (options, { cassandra, out }) => {
    await runQuery(options, { cassandra: await cassandra(), out });
  },
});

/** Runs the report and prints it as a table or as JSON. */
export async function runQuery(options: QueryOptions, deps: QueryDeps): Promise<QueryResult> {
  const { dataset, report } = options;
  const reader = deps.cassandra;
  const queryOptions = { consistency: CONSISTENCY_LEVELS[options.consistency] };
  await reader.connect();
  let result: QueryResult;
  switch (report.kind) {
    case "titles":
      result = (await readTitles(reader, dataset, report.person, report.hour, queryOptions))
        .result;
      break;
    case "avg": {
      const { result: avg } = await readAverage(
        reader,
        dataset,
        report.column,
        report.person,
        report.hour,
        queryOptions,
      );
      result = {
        columns: ["person", "hour", "column", "average", "rows_with_value", "rows"],
        rows: [[report.person, report.hour, report.column, avg.average, avg.withValue, avg.rows]],
        summary: { average: avg.average, rows_with_value: avg.withValue, rows: avg.rows },
      };
      break;
    }
    case "day": {
      const columns = reportColumns(dataset);
      const day = await readDay(reader, dataset, columns, report.person, report.date, queryOptions);
      result = dayTable(columns, day.result);
      break;
    }
    case "sample":
      result = (await readSample(reader, dataset, report.limit, queryOptions)).result;
      break;
    case "cql": {
      let rs;
      try {
        rs = await reader.executeTyped(report.statement, dataset.keyspace, queryOptions);
      } catch (error) {
        throw new ReviewsError(`CQL failed: ${describeCassandraError(error)}`, undefined, {
          cause: error,
        });
      }
      const columns = (rs.columns ?? []).map((column) => column.name);
      result = {
        columns,
        rows: (rs.rows ?? []).map((row) => columns.map((c) => plain(row.get(c)))),
      };
      if (rs.pageState) {
        result.summary = { note: "more rows exist than one page; add a LIMIT or narrow the query" };
      }
      break;
    }
  }
  print(options, result, deps.out);
  return result;
}

/** Width of the longest bar of `query day`, in characters. */
const BAR_WIDTH = 30;

/** A day as a table: hour, rows, each column's average, and a bar scaled to the busiest hour. */
export function dayTable(columns: readonly string[], hours: readonly HourSummary[]): QueryResult {
  const busiest = Math.max(1, ...hours.map((h) => h.count));
  const round = (value: number | null) => value === null ? null : Math.round(value * 100) / 100;
  return {
    columns: ["hour", "rows", ...columns.map((c) => `avg_${c}`), "bar"],
    rows: hours.map((h) => [
      h.hour,
      h.count,
      ...columns.map((c) => round(h.averages[c])),
      "#".repeat(Math.round((h.count / busiest) * BAR_WIDTH)),
    ]),
  };
}

function print(options: QueryOptions, result: QueryResult, out: (text: string) => void): void {
  if (options.json) {
    const rows = result.rows.map((row) =>
      Object.fromEntries(result.columns.map((column, i) => [column, row[i]]))
    );
    // `avg` answers one object; the other reports a list of rows (`day` without its bars).
    if (options.report.kind === "day") rows.forEach((row) => delete row.bar);
    out(JSON.stringify(options.report.kind === "avg" ? rows[0] : rows, null, 2));
    return;
  }
  if (result.columns.length === 0) {
    out("OK (no rows returned)");
    return;
  }
  out(formatTable(result.columns, result.rows));
  out(`(${result.rows.length} ${result.rows.length === 1 ? "row" : "rows"})`);
  if (typeof result.summary?.note === "string") out(`note: ${result.summary.note}`);
}

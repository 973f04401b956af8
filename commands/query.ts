import { describeCassandraError } from "../lib/retry.ts";
import { type Env, integerFlag, optionalFlag, parseFlags, stringFlag } from "../lib/args.ts";
import type { CassandraClient } from "../lib/cassandra.ts";
import { CONSISTENCY_LEVELS, consistencyFlag, type ConsistencyName } from "../lib/consistency.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
} from "../lib/common_options.ts";
import { HOUR_COLUMN, numericColumns, tableColumns, TIME_FIELD } from "../lib/dataset.ts";
import { ReviewsError, UsageError } from "../lib/errors.ts";
import { parseHour } from "../lib/hour_bucket.ts";
import { formatTable, type Plain, plain } from "../lib/table.ts";

/** Help of `./reviews query`. */
export const QUERY_HELP = `Usage: ./reviews query REPORT [arguments] [flags]

Reports:
  titles --person NAME --hour HOUR        what that person reviewed or played in that hour,
                                          in time order (with the rating, for movies)
  avg COLUMN --person NAME --hour HOUR    average of a numeric column for that person and hour
                                          (movies: rating, duration, seasons, release_year;
                                          songs: danceability, tempo, energy, duration_ms, ...)
  sample [--limit N]                      a sample of stored rows [50]
  cql "STATEMENT"                         runs raw CQL (with --keyspace as the session's
                                          keyspace) and prints the result

HOUR is 'YYYY-MM-DD HH:00' in UTC, or an ISO-8601 time with an offset
('2024-03-01T16:20:00+02:00' is the hour '2024-03-01 14:00'). Names are bound as parameters.

Flags:
  --person NAME                the person
  --hour HOUR                  the hour
  --limit N                    rows for sample [50]
  --json                       JSON instead of an aligned table
  --consistency LEVEL          read consistency [local_quorum]

${COMMON_HELP}`;

/** The report asked for. */
export type Report =
  | { kind: "titles"; person: string; hour: string }
  | { kind: "avg"; column: string; person: string; hour: string }
  | { kind: "sample"; limit: number }
  | { kind: "cql"; statement: string };

/** Options of query. */
export interface QueryOptions extends CommonOptions {
  report: Report;
  json: boolean;
  consistency: ConsistencyName;
}

const REPORTS = ["titles", "avg", "sample", "cql"];

/** Turns query's arguments into options; pure. */
export function parseQueryOptions(args: readonly string[], env: Env): QueryOptions {
  const { values, positionals } = parseFlags("query", args, {
    ...COMMON_FLAGS,
    person: { type: "string" },
    hour: { type: "string" },
    limit: { type: "string" },
    json: { type: "boolean" },
    consistency: { type: "string" },
  }, 2);
  const common = commonOptions(values, env);
  const [kind, argument] = positionals;
  const hint = "Run './reviews query --help' for the reports.";
  if (kind === undefined) {
    throw new UsageError(`Missing report: one of ${REPORTS.join(", ")}`, hint);
  }
  const person = () => {
    const value = optionalFlag(values, "person")?.trim();
    if (!value) throw new UsageError(`Report '${kind}' needs --person NAME`, hint);
    return value;
  };
  const hour = () => {
    const value = optionalFlag(values, "hour");
    if (value === undefined) throw new UsageError(`Report '${kind}' needs --hour HOUR`, hint);
    return parseHour(value);
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
    case "sample":
      noArgument();
      report = {
        kind,
        limit: integerFlag("limit", stringFlag(values, "limit", env, undefined, "50"), {
          min: 1,
          max: 100_000,
        }),
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
    json: values.json === true,
    consistency: consistencyFlag(stringFlag(values, "consistency", env, undefined, "local_quorum")),
  };
}

/** What query needs from the outside world. */
export interface QueryDeps {
  cassandra: CassandraClient;
  out: (text: string) => void;
}

/** A report's result: columns and rows, plus a headline for the text form. */
export interface QueryResult {
  columns: string[];
  rows: Plain[][];
  /** Summary values (the average, its count) for `avg`. */
  summary?: Record<string, Plain>;
}

/** Runs the report and prints it as a table or as JSON. */
export async function runQuery(options: QueryOptions, deps: QueryDeps): Promise<QueryResult> {
  const { dataset, report } = options;
  const table = `${dataset.keyspace}.${dataset.table}`;
  const where = `WHERE ${dataset.personField} = ? AND ${HOUR_COLUMN} = ?`;
  const queryOptions = { consistency: CONSISTENCY_LEVELS[options.consistency] };
  await deps.cassandra.connect();
  let result: QueryResult;
  switch (report.kind) {
    case "titles": {
      const columns = [TIME_FIELD, dataset.itemField, ...dataset.measures.map((m) => m.name)];
      const rs = await deps.cassandra.execute(
        `SELECT ${columns.join(", ")} FROM ${table} ${where}`,
        [report.person, report.hour],
        queryOptions,
      );
      result = { columns, rows: rs.rows.map((row) => columns.map((c) => plain(row.get(c)))) };
      break;
    }
    case "avg": {
      // AVG of an int column is an int in CQL; the cast gives the exact mean.
      const rs = await deps.cassandra.execute(
        `SELECT AVG(CAST(${report.column} AS double)) AS average, COUNT(${report.column}) AS ` +
          `with_value, COUNT(*) AS total FROM ${table} ${where}`,
        [report.person, report.hour],
        queryOptions,
      );
      const row = rs.first();
      const count = plain(row?.get("with_value")) as number;
      const total = plain(row?.get("total")) as number;
      // Cassandra answers 0 for the average of no values; no values means no average.
      const average = count > 0 ? plain(row?.get("average")) : null;
      result = {
        columns: ["person", "hour", "column", "average", "rows_with_value", "rows"],
        rows: [[report.person, report.hour, report.column, average, count, total]],
        summary: { average, rows_with_value: count, rows: total },
      };
      break;
    }
    case "sample": {
      const columns = tableColumns(dataset);
      const rs = await deps.cassandra.execute(
        `SELECT ${columns.join(", ")} FROM ${table} LIMIT ?`,
        [report.limit],
        queryOptions,
      );
      result = { columns, rows: rs.rows.map((row) => columns.map((c) => plain(row.get(c)))) };
      break;
    }
    case "cql": {
      let rs;
      try {
        // The dataset's keyspace is the session's, as after USE in cqlsh; a keyspace that does
        // not exist yet leaves the session without one (CREATE KEYSPACE still works).
        await deps.cassandra.driver.execute(`USE ${dataset.keyspace}`).catch(() => {});
        rs = await deps.cassandra.driver.execute(report.statement, [], {
          prepare: false,
          ...queryOptions,
        });
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

function print(options: QueryOptions, result: QueryResult, out: (text: string) => void): void {
  if (options.json) {
    const rows = result.rows.map((row) =>
      Object.fromEntries(result.columns.map((column, i) => [column, row[i]]))
    );
    // `avg` answers one object; the other reports a list of rows.
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

/** `./reviews query` itself, loaded only to run it (see query.ts). */
import { describeCassandraError } from "../lib/core/retry.ts";
import type { CqlReader } from "../lib/cassandra/client.ts";
import { CONSISTENCY_LEVELS } from "../lib/cassandra/consistency.ts";
import { reportColumns } from "../lib/pipeline/dataset.ts";
import { ReviewsError } from "../lib/core/errors.ts";
import { formatTable } from "../lib/cli/table.ts";
import { type Plain, plain } from "../lib/cassandra/plain.ts";
import {
  type HourSummary,
  readAverage,
  readDay,
  readSample,
  readTitles,
} from "../lib/cassandra/reads.ts";
import type { QueryOptions } from "./query.ts";

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

/**
 * The reads behind `query` and `report`, each a single-partition read of one person's hour (or a
 * bounded sample), returning its CQL and bound values beside the result so a report can show
 * both.
 */
import { type Dataset, HOUR_COLUMN, tableColumns, TIME_FIELD } from "../pipeline/dataset.ts";
import { hoursOf } from "../pipeline/hour_bucket.ts";
import type { CqlReader, QueryOptions } from "./client.ts";
import { type Plain, plain } from "./plain.ts";

/** A statement, its bound values, and what it answered. */
export interface Read<T> {
  cql: string;
  params: readonly unknown[];
  result: T;
}

/** Rows as columns and plain values. */
export interface Rows {
  columns: string[];
  rows: Plain[][];
}

/** An average over a person's hour; null when no row has a value. */
export interface Average {
  average: number | null;
  withValue: number;
  rows: number;
}

/** One hour of a person's day: its rows and the average of each report column. */
export interface HourSummary {
  hour: string;
  count: number;
  averages: Record<string, number | null>;
}

type Reader = Pick<CqlReader, "execute">;

const tableOf = (dataset: Dataset) => `${dataset.keyspace}.${dataset.table}`;
const whereHour = (dataset: Dataset) => `WHERE ${dataset.personField} = ? AND ${HOUR_COLUMN} = ?`;

/** What a person reviewed or played in an hour, in time order, with the measures. */
export async function readTitles(
  reader: Reader,
  dataset: Dataset,
  person: string,
  hour: string,
  options: QueryOptions = {},
): Promise<Read<Rows>> {
  const columns = [TIME_FIELD, dataset.itemField, ...dataset.measures.map((m) => m.name)];
  const cql = `SELECT ${columns.join(", ")} FROM ${tableOf(dataset)} ${whereHour(dataset)}`;
  const params = [person, hour];
  const rs = await reader.execute(cql, params, options);
  return { cql, params, result: { columns, rows: rs.rows.map((row) => rowOf(row, columns)) } };
}

/** The exact mean of a numeric column over a person's hour. */
export async function readAverage(
  reader: Reader,
  dataset: Dataset,
  column: string,
  person: string,
  hour: string,
  options: QueryOptions = {},
): Promise<Read<Average>> {
  // AVG of an int column is an int in CQL; the cast gives the exact mean.
  const cql = `SELECT AVG(CAST(${column} AS double)) AS average, COUNT(${column}) AS ` +
    `with_value, COUNT(*) AS total FROM ${tableOf(dataset)} ${whereHour(dataset)}`;
  const params = [person, hour];
  const row = (await reader.execute(cql, params, options)).first();
  const withValue = Number(plain(row?.get("with_value")) ?? 0);
  // Cassandra answers 0 for the average of no values; no values means no average.
  const average = withValue > 0 ? Number(plain(row?.get("average"))) : null;
  return {
    cql,
    params,
    result: { average, withValue, rows: Number(plain(row?.get("total")) ?? 0) },
  };
}

/** Up to `limit` stored rows, every column. */
export async function readSample(
  reader: Reader,
  dataset: Dataset,
  limit: number,
  options: QueryOptions = {},
): Promise<Read<Rows>> {
  const columns = tableColumns(dataset);
  const cql = `SELECT ${columns.join(", ")} FROM ${tableOf(dataset)} LIMIT ?`;
  const params = [limit];
  const rs = await reader.execute(cql, params, options);
  return { cql, params, result: { columns, rows: rs.rows.map((row) => rowOf(row, columns)) } };
}

/**
 * A person's UTC day: for each of its 24 hours, the row count and the average of each of
 * `columns`. Twenty-four single-partition reads, run concurrently. The CQL is the one statement
 * each hour runs, with the day's first hour bound.
 */
export async function readDay(
  reader: Reader,
  dataset: Dataset,
  columns: readonly string[],
  person: string,
  date: string,
  options: QueryOptions = {},
): Promise<Read<HourSummary[]>> {
  const figures = columns.flatMap((column, i) => [
    `AVG(CAST(${column} AS double)) AS avg_${i}`,
    `COUNT(${column}) AS n_${i}`,
  ]);
  const cql = `SELECT COUNT(*) AS total, ${figures.join(", ")} FROM ${tableOf(dataset)} ` +
    whereHour(dataset);
  const hours = hoursOf(date);
  const result = await Promise.all(hours.map(async (hour): Promise<HourSummary> => {
    const row = (await reader.execute(cql, [person, hour], options)).first();
    const averages = Object.fromEntries(columns.map((column, i) => {
      const withValue = Number(plain(row?.get(`n_${i}`)) ?? 0);
      return [column, withValue > 0 ? Number(plain(row?.get(`avg_${i}`))) : null];
    }));
    return { hour, count: Number(plain(row?.get("total")) ?? 0), averages };
  }));
  return { cql, params: [person, hours[0]], result };
}

/** The statement with its bound values written in as CQL literals, for people to read. */
export function inlineParams(cql: string, params: readonly unknown[]): string {
  let next = 0;
  return cql.replace(/\?/g, () => {
    const value = params[next++];
    return typeof value === "string" ? `'${value.replaceAll("'", "''")}'` : String(value);
  });
}

function rowOf(row: { get(column: string): unknown }, columns: readonly string[]): Plain[] {
  return columns.map((column) => plain(row.get(column)));
}

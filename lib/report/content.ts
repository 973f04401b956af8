/**
 * What a report holds, read from Cassandra once and laid out as sections of blocks (text, CQL,
 * tables, the day chart). The HTML and Markdown renderers only format these blocks.
 */
import { type LiveSchema, liveSchema } from "../cassandra/schema.ts";
import type { CqlReader, QueryOptions } from "../cassandra/client.ts";
import type { Plain } from "../cassandra/plain.ts";
import {
  type Average,
  type HourSummary,
  inlineParams,
  type Read,
  readAverage,
  readDay,
  readSample,
  readTitles,
  type Rows,
} from "../cassandra/reads.ts";
import { type Dataset, reportColumns } from "../pipeline/dataset.ts";

/** A piece of a section. `name` marks tables and the chart for tests and readers. */
export type Block =
  | { kind: "text"; text: string }
  | { kind: "cql"; text: string }
  | { kind: "table"; name: string; columns: string[]; rows: Plain[][] }
  | { kind: "chart"; name: string; hours: HourSummary[]; label: string };

/** A titled part of the report. */
export interface Section {
  title: string;
  blocks: Block[];
}

/** The whole report. */
export interface Report {
  title: string;
  subtitle: string;
  sections: Section[];
}

/** What the report is about. */
export interface ReportRequest {
  dataset: Dataset;
  person: string;
  hour: string;
  sampleSize: number;
  generatedAt: Date;
}

/** Runs every read (concurrently) and lays the results out. */
export async function buildReport(
  reader: Pick<CqlReader, "execute">,
  request: ReportRequest,
  options: QueryOptions = {},
): Promise<Report> {
  const { dataset, person, hour } = request;
  const columns = reportColumns(dataset);
  const [schema, sample, titles, averages, day] = await Promise.all([
    liveSchema(reader, dataset),
    readSample(reader, dataset, request.sampleSize, options),
    readTitles(reader, dataset, person, hour, options),
    Promise.all(columns.map((c) => readAverage(reader, dataset, c, person, hour, options))),
    readDay(reader, dataset, columns, person, hour.slice(0, 10), options),
  ]);
  return layOut(request, { schema, sample, titles, averages, columns, day });
}

/** The reads' results, as layOut takes them. */
export interface ReportData {
  schema: LiveSchema;
  sample: Read<Rows>;
  titles: Read<Rows>;
  averages: Read<Average>[];
  columns: string[];
  day: Read<HourSummary[]>;
}

/** Lays the results out as sections; pure. */
export function layOut(request: ReportRequest, data: ReportData): Report {
  const { dataset, person, hour } = request;
  const cql = (read: Read<unknown>): Block => ({
    kind: "cql",
    text: inlineParams(read.cql, read.params),
  });
  const words = dataset.words;
  const date = hour.slice(0, 10);
  return {
    title: `${capitalize(words.event)}s of ${person}, ${hour} UTC`,
    subtitle: `Dataset ${dataset.name}, table ${dataset.keyspace}.${dataset.table}; generated ` +
      `${request.generatedAt.toISOString()}`,
    sections: [
      {
        title: "Data model",
        blocks: [
          { kind: "text", text: data.schema.notes.join(" ") },
          ...data.schema.statements.map((text): Block => ({ kind: "cql", text: `${text};` })),
        ],
      },
      {
        title: `Averages for ${person} in ${hour}`,
        blocks: [
          ...data.averages.map(cql),
          {
            kind: "table",
            name: "averages",
            columns: ["column", "average", "rows_with_value", "rows"],
            rows: data.averages.map((read, i) => [
              data.columns[i],
              read.result.average,
              read.result.withValue,
              read.result.rows,
            ]),
          },
        ],
      },
      {
        title: `${person}'s day, ${date} UTC, by hour`,
        blocks: [
          {
            kind: "text",
            text: `The same statement for each of the 24 hours, run concurrently; the first:`,
          },
          cql(data.day),
          {
            kind: "chart",
            name: "day",
            hours: data.day.result,
            label: `${words.event}s per hour`,
          },
        ],
      },
      {
        title: `Titles ${words.verb} by ${person} in ${hour}`,
        blocks: [
          cql(data.titles),
          { kind: "table", name: "titles", ...data.titles.result },
          {
            kind: "text",
            text: `${data.titles.result.rows.length} ${words.event}s in this hour.`,
          },
        ],
      },
      {
        title: `A sample of ${data.sample.result.rows.length} stored rows`,
        blocks: [cql(data.sample), { kind: "table", name: "sample", ...data.sample.result }],
      },
    ],
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A cell as text: empty for null, JSON for structures, numbers to at most 4 decimals. */
export function cellText(value: Plain): string {
  if (value === null) return "";
  if (typeof value === "number") return String(Math.round(value * 10_000) / 10_000);
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

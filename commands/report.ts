import { defineCommand } from "../lib/cli/command.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
} from "../lib/cli/common_flags.ts";
import { type Env, flagHelp, option, readFlags } from "../lib/cli/flags.ts";
import { type ConsistencyName, parseConsistency } from "../lib/cassandra/consistency.ts";
import { UsageError } from "../lib/core/errors.ts";
import { choice, integer, nonEmpty, text } from "../lib/core/parse.ts";
import { parseHour } from "../lib/pipeline/hour_bucket.ts";

const REPORT_FLAGS = {
  person: option({ arg: "NAME", help: "the person (required)", parse: nonEmpty("name") }),
  hour: option({ arg: "HOUR", help: "the UTC hour (required), as for query", parse: parseHour }),
  out: option({
    arg: "FILE",
    help: "where to write the report; - for stdout",
    default: "-",
    parse: text,
  }),
  format: option({
    arg: "FORMAT",
    help: "html: one self-contained page; md: Markdown",
    defaultNote: "md for an --out ending in .md, else html",
    parse: choice(["html", "md"] as const),
  }),
  limit: option({
    arg: "N",
    help: "rows in the sample",
    default: "50",
    parse: integer({ min: 1, max: 10_000 }),
  }),
  consistency: option({
    arg: "LEVEL",
    help: "read consistency",
    default: "local_quorum",
    parse: parseConsistency,
  }),
};

/** Help of `./reviews report`. */
export const REPORT_HELP = `Usage: ./reviews report --person NAME --hour HOUR [--out FILE] [flags]

Writes what an assignment's report shows, generated from the stored rows: the data model with its
CQL, the person's titles in that hour with their ratings, the averages of the report columns, a
chart of the person's day by hour, and a sample of stored rows, each query's CQL beside its
result. HTML is one self-contained page (no script, no network fetch); Markdown is the same
content as text.

${flagHelp("Flags", REPORT_FLAGS)}

${COMMON_HELP}`;

/** Options of report. */
export interface ReportOptions extends CommonOptions {
  person: string;
  hour: string;
  out: string;
  format: "html" | "md";
  limit: number;
  consistency: ConsistencyName;
}

/** Turns report's flags into options; pure. */
export function parseReportOptions(args: readonly string[], env: Env): ReportOptions {
  const { values } = readFlags("report", { ...COMMON_FLAGS, ...REPORT_FLAGS }, args, env);
  const hint = "Run './reviews report --help'.";
  if (values.person === undefined) throw new UsageError("Report needs --person NAME", hint);
  if (values.hour === undefined) throw new UsageError("Report needs --hour HOUR", hint);
  return {
    ...commonOptions(values),
    person: values.person,
    hour: values.hour,
    out: values.out,
    format: values.format ?? (values.out.toLowerCase().endsWith(".md") ? "md" : "html"),
    limit: values.limit,
    consistency: values.consistency,
  };
}

/** `./reviews report`. */
export const REPORT = defineCommand<ReportOptions>({
  name: "report",
  summary: "a person's hour as an HTML page or Markdown: model, CQL, results, chart",
  help: REPORT_HELP,
  parse: parseReportOptions,
  run: async (options, { cassandra, logger, out }) => {
    // Loaded only to run: help and usage errors need none of it.
    const { runReport } = await import("./report_run.ts");
    await runReport(options, { cassandra: await cassandra(), logger, out });
  },
});

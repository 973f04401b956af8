/** `./reviews report` itself, loaded only to run it (see report.ts). */
import type { CqlReader } from "../lib/cassandra/client.ts";
import { CONSISTENCY_LEVELS } from "../lib/cassandra/consistency.ts";
import { ReviewsError } from "../lib/core/errors.ts";
import type { Logger } from "../lib/core/log.ts";
import { buildReport } from "../lib/report/content.ts";
import { renderHtml } from "../lib/report/html.ts";
import { renderMarkdown } from "../lib/report/markdown.ts";
import type { ReportOptions } from "./report.ts";

/** What report needs from the outside world. */
export interface ReportDeps {
  cassandra: CqlReader;
  logger: Logger;
  out: (text: string) => void;
}

/** Reads, renders and writes the report; returns the text written. */
export async function runReport(options: ReportOptions, deps: ReportDeps): Promise<string> {
  await deps.cassandra.connect();
  const report = await buildReport(deps.cassandra, {
    dataset: options.dataset,
    person: options.person,
    hour: options.hour,
    sampleSize: options.limit,
    generatedAt: new Date(),
  }, { consistency: CONSISTENCY_LEVELS[options.consistency] });
  const rendered = options.format === "md" ? renderMarkdown(report) : renderHtml(report);
  if (options.out === "-") {
    deps.out(rendered.trimEnd());
    return rendered;
  }
  try {
    await Deno.writeTextFile(options.out, rendered);
  } catch (error) {
    throw new ReviewsError(
      `Cannot write the report to ${options.out}: ${(error as Error).message}`,
      "Check that the folder exists and can be written to.",
      { cause: error },
    );
  }
  deps.logger.info(`Wrote ${options.format === "md" ? "Markdown" : "HTML"} to ${options.out}`);
  return rendered;
}

/** The report as Markdown: the same sections, with CQL in code blocks and the chart as text bars. */
import { type Block, cellText, type Report } from "./content.ts";

/** The document. */
export function renderMarkdown(report: Report): string {
  const parts = [`# ${report.title}`, `_${report.subtitle}_`];
  for (const section of report.sections) {
    parts.push(`## ${section.title}`, ...section.blocks.map(renderBlock));
  }
  return parts.join("\n\n") + "\n";
}

/** Width of the busiest hour's bar, in characters. */
const BAR_WIDTH = 40;

function renderBlock(block: Block): string {
  switch (block.kind) {
    case "text":
      return block.text;
    case "cql":
      return "```sql\n" + block.text + "\n```";
    case "table": {
      const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\s+/g, " ");
      const lines = [
        `| ${block.columns.map(cell).join(" | ")} |`,
        `|${block.columns.map(() => " --- |").join("")}`,
        ...block.rows.map((row) => `| ${row.map((v) => cell(cellText(v))).join(" | ")} |`),
      ];
      return lines.join("\n");
    }
    case "chart": {
      const busiest = Math.max(1, ...block.hours.map((h) => h.count));
      const lines = block.hours.map((h) =>
        `${h.hour.slice(11, 16)} ${String(h.count).padStart(6)} ${
          "#".repeat(Math.round((h.count / busiest) * BAR_WIDTH))
        }`
      );
      return "```text\n" + `hour    ${block.label}\n` + lines.join("\n") + "\n```";
    }
  }
}

/**
 * The report as one self-contained HTML page: inline CSS, an inline SVG chart, no script and no
 * fetch, so it opens anywhere and can be mailed or attached as it is.
 */
import { type Block, cellText, type Report } from "./content.ts";
import type { HourSummary } from "../cassandra/reads.ts";

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #1d2330;
  padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .subtitle { color: #5b6475; margin-top: 0; }
h2 { border-bottom: 1px solid #d8dce4; padding-bottom: 0.2rem; margin-top: 2.2rem; }
pre { background: #f4f6fa; border: 1px solid #e1e5ec; padding: 0.6rem 0.8rem; white-space: pre-wrap;
  font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: 0.6rem 0; }
th, td { border: 1px solid #d8dce4; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef1f6; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #5b6475; }
svg rect.bar { fill: #3b6fd4; }
`;

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/** The page. */
export function renderHtml(report: Report): string {
  const sections = report.sections.map((section) =>
    `<section>\n<h2>${escapeHtml(section.title)}</h2>\n${
      section.blocks.map(renderBlock).join("\n")
    }\n</section>`
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p class="subtitle">${escapeHtml(report.subtitle)}</p>
${sections.join("\n")}
</body>
</html>
`;
}

function renderBlock(block: Block): string {
  switch (block.kind) {
    case "text":
      return `<p>${escapeHtml(block.text)}</p>`;
    case "cql":
      return `<pre class="cql"><code>${escapeHtml(block.text)}</code></pre>`;
    case "table": {
      const head = block.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
      const body = block.rows.map((row) =>
        `<tr>${
          row.map((value) =>
            `<td${typeof value === "number" ? ' class="number"' : ""}>${
              escapeHtml(cellText(value))
            }</td>`
          ).join("")
        }</tr>`
      ).join("\n");
      return `<div class="scroll"><table data-name="${
        escapeHtml(block.name)
      }">\n<thead><tr>${head}` +
        `</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
    }
    case "chart":
      return barChart(block.name, block.hours, block.label);
  }
}

/** Chart geometry, in SVG units. */
const CHART = { width: 960, height: 260, left: 44, bottom: 34, top: 12 };

/** One bar per hour, heights proportional to the counts, with a labelled axis. */
export function barChart(name: string, hours: readonly HourSummary[], label: string): string {
  const plotHeight = CHART.height - CHART.bottom - CHART.top;
  const slot = (CHART.width - CHART.left) / Math.max(1, hours.length);
  const busiest = Math.max(1, ...hours.map((h) => h.count));
  const bars = hours.map((h, i) => {
    const height = (h.count / busiest) * plotHeight;
    const x = CHART.left + i * slot + slot * 0.15;
    const y = CHART.top + plotHeight - height;
    const hourLabel = h.hour.slice(11, 13);
    const averages = Object.entries(h.averages).map(([c, v]) =>
      `${c} ${v === null ? "-" : cellText(v)}`
    ).join(", ");
    return `<g><title>${escapeHtml(`${h.hour}: ${h.count}; ${averages}`)}</title>` +
      `<rect class="bar" data-hour="${escapeHtml(h.hour)}" data-count="${h.count}" ` +
      `x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" ` +
      `height="${height.toFixed(1)}"/>` +
      `<text x="${(x + slot * 0.35).toFixed(1)}" y="${CHART.height - CHART.bottom + 14}" ` +
      `text-anchor="middle">${hourLabel}</text>` +
      (h.count > 0
        ? `<text x="${(x + slot * 0.35).toFixed(1)}" y="${(y - 3).toFixed(1)}" ` +
          `text-anchor="middle">${h.count}</text>`
        : "") +
      `</g>`;
  });
  const axisY = CHART.top + plotHeight;
  return `<svg data-name="${escapeHtml(name)}" role="img" aria-label="${escapeHtml(label)}" ` +
    `viewBox="0 0 ${CHART.width} ${CHART.height}" width="100%">\n` +
    `<line x1="${CHART.left}" y1="${axisY}" x2="${CHART.width}" y2="${axisY}" stroke="#9aa3b2"/>\n` +
    `<text x="${CHART.left - 6}" y="${CHART.top + 8}" text-anchor="end">${busiest}</text>\n` +
    `<text x="${CHART.left - 6}" y="${axisY}" text-anchor="end">0</text>\n` +
    `<text x="${CHART.left + (CHART.width - CHART.left) / 2}" y="${CHART.height - 4}" ` +
    `text-anchor="middle">${escapeHtml(`hour (UTC); ${label}`)}</text>\n` +
    bars.join("\n") + "\n</svg>";
}

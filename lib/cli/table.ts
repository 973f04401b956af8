import type { Plain } from "../cassandra/plain.ts";

/** Formats rows as an aligned text table; long cells are clipped to `maxWidth`. */
export function formatTable(
  columns: readonly string[],
  rows: readonly (readonly Plain[])[],
  maxWidth = 40,
): string {
  const cell = (value: Plain) => {
    const text = value === null
      ? ""
      : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);
    const flat = text.replace(/\s+/g, " ");
    return flat.length > maxWidth ? `${flat.slice(0, maxWidth - 3)}...` : flat;
  };
  const cells = rows.map((row) => row.map(cell));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((row) => row[i]?.length ?? 0))
  );
  const numeric = columns.map((_, i) =>
    rows.length > 0 && rows.every((row) => row[i] === null || typeof row[i] === "number")
  );
  const line = (values: string[]) =>
    values.map((value, i) => numeric[i] ? value.padStart(widths[i]) : value.padEnd(widths[i]))
      .join("  ").trimEnd();
  return [
    line([...columns]),
    line(widths.map((width) => "-".repeat(width))),
    ...cells.map(line),
  ].join("\n");
}

import assert from "node:assert/strict";
import { parseReportOptions } from "./report.ts";

Deno.test("parseReportOptions() reads the person and hour, and picks the format from --out", () => {
  const base = ["--person", "Ada", "--hour", "2024-03-01T16:20:00+02:00"];
  const html = parseReportOptions(base, {});
  assert.deepEqual([html.person, html.hour, html.out, html.format, html.limit], [
    "Ada",
    "2024-03-01 14:00",
    "-",
    "html",
    50,
  ]);
  assert.equal(parseReportOptions([...base, "--out", "r.MD"], {}).format, "md");
  assert.equal(
    parseReportOptions([...base, "--out", "r.md", "--format", "html"], {}).format,
    "html",
  );
});

Deno.test("parseReportOptions() names what is missing or wrong", () => {
  assert.throws(() => parseReportOptions(["--hour", "2024-03-01 14:00"], {}), /needs --person/);
  assert.throws(() => parseReportOptions(["--person", "Ada"], {}), /needs --hour/);
  assert.throws(
    () => parseReportOptions(["--person", "Ada", "--hour", "x", "--format", "pdf"], {}),
    /Flag --hour/,
  );
  assert.throws(
    () =>
      parseReportOptions(["--person", "Ada", "--hour", "2024-03-01 14:00", "--format", "pdf"], {}),
    /Flag --format takes one of html, md, got 'pdf'/,
  );
});

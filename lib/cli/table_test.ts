import assert from "node:assert/strict";
import { formatTable } from "./table.ts";

Deno.test("formatTable() aligns columns, right-aligns numbers and clips long cells", () => {
  const text = formatTable(["movie", "rating"], [["Heat", 8], ["A very long title indeed", 10], [
    "x".repeat(50),
    null,
  ]], 20);
  assert.equal(
    text,
    [
      "movie                 rating",
      "--------------------  ------",
      "Heat                       8",
      "A very long title...      10",
      "xxxxxxxxxxxxxxxxx...",
    ].join("\n"),
  );
});

import assert from "node:assert/strict";
import { datasetByName, numericColumns, tableColumns, textColumns, TIME_FIELD } from "./dataset.ts";

Deno.test("every table column is text, the event time, or numeric: exactly one of them", () => {
  for (const name of ["movies", "songs"]) {
    const dataset = datasetByName(name);
    const kinds = [...textColumns(dataset), TIME_FIELD, ...numericColumns(dataset)];
    assert.deepEqual([...kinds].sort(), [...tableColumns(dataset)].sort(), name);
  }
});

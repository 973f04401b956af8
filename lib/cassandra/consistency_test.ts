import assert from "node:assert/strict";
import cassandra from "cassandra-driver";
import { CONSISTENCY_LEVELS, parseConsistency } from "./consistency.ts";
import { mustParse } from "../core/parse.ts";

Deno.test("the consistency codes are the driver's", () => {
  const driver = cassandra.types.consistencies;
  assert.deepEqual(CONSISTENCY_LEVELS, {
    one: driver.one,
    two: driver.two,
    three: driver.three,
    quorum: driver.quorum,
    all: driver.all,
    local_quorum: driver.localQuorum,
    each_quorum: driver.eachQuorum,
    local_one: driver.localOne,
  });
});

Deno.test("--consistency takes a level in any case and names the valid ones otherwise", () => {
  assert.equal(mustParse(parseConsistency, "LOCAL_QUORUM"), "local_quorum");
  assert.throws(() => mustParse(parseConsistency, "most"), /unknown level 'most'/);
});

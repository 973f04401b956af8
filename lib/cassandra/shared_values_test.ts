import assert from "node:assert/strict";
import { markSharedTail, sharedTailOf } from "./shared_values.ts";

Deno.test("a row's values carry the shared array they end with, and nothing else shows it", () => {
  const entry = ["Drama", 2019];
  const values = ["Ada", "2024-03-01 10:00", ...entry];
  assert.equal(sharedTailOf(values), undefined);
  markSharedTail(values, entry);
  assert.equal(sharedTailOf(values), entry);
  assert.deepEqual(Object.keys(values), ["0", "1", "2", "3"], "not an element, not enumerable");
  assert.deepEqual(JSON.parse(JSON.stringify(values)), ["Ada", "2024-03-01 10:00", "Drama", 2019]);
});

Deno.test("a shared array longer than the row is not marked", () => {
  const values = ["Ada"];
  markSharedTail(values, ["Drama", 2019]);
  assert.equal(sharedTailOf(values), undefined);
});

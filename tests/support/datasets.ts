/** Where the real datasets are: ../shared/datasets beside the checkout (read, never copied). */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../lib/core/resources.ts";

/** The shared datasets folder. */
export const SHARED_DATASETS: string = join(PROJECT_ROOT, "..", "shared", "datasets");

/** Path of one shared dataset file. */
export function sharedDataset(name: string): string {
  return join(SHARED_DATASETS, name);
}

/** Whether the shared datasets are there (tests that need them say so when they are not). */
export const haveSharedDatasets: boolean = await Deno.stat(SHARED_DATASETS).then(
  () => true,
  () => false,
);

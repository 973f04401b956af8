/**
 * Files the program ships (data/, cql/), found next to the sources through import.meta.dirname,
 * which also holds inside a `deno compile` binary built with `--include data --include cql`.
 */
import { dirname, join } from "node:path";

const ROOT = dirname(import.meta.dirname!);

/** Path of a file under data/. */
export function dataPath(name: string): string {
  return join(ROOT, "data", name);
}

/** Path of a file under cql/. */
export function cqlPath(name: string): string {
  return join(ROOT, "cql", name);
}

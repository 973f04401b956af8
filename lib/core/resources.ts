/**
 * The project root and the files the program ships (data/, cql/). Every other module finds the
 * root here. It comes from import.meta.dirname, which also holds inside a `deno compile` binary
 * built with `--include data --include cql`.
 */
import { join } from "node:path";

/** The folder that holds deno.json, main.ts, data/ and cql/. */
export const PROJECT_ROOT: string = join(import.meta.dirname!, "..", "..");

/** Path of a file under data/. */
export function dataPath(name: string): string {
  return join(PROJECT_ROOT, "data", name);
}

/** Path of a file under cql/. */
export function cqlPath(name: string): string {
  return join(PROJECT_ROOT, "cql", name);
}

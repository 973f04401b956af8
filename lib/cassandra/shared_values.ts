/**
 * A mark on a row's values saying that its last values are those of an array many rows share
 * (the catalog entry joined to every event of a title). The patched frame writer encodes such a
 * run of values once per prepared statement and copies the bytes into every later row's frame;
 * the driver as published ignores the mark and encodes each value, to the same bytes.
 */

const SHARED_TAIL = Symbol("reviews.sharedTail");

type Marked = { [SHARED_TAIL]?: readonly unknown[] };

/**
 * Marks `values` as ending with the values of `shared` (where `shared` has a `null`, the row may
 * have `undefined`: unset). The promise this makes: every row marked with the same `shared` array
 * ends with the same `shared.length` values.
 */
export function markSharedTail(values: unknown[], shared: readonly unknown[]): void {
  if (shared.length <= values.length) (values as Marked)[SHARED_TAIL] = shared;
}

/** The array a row's last values were marked as, if any. */
export function sharedTailOf(values: readonly unknown[]): readonly unknown[] | undefined {
  return (values as Marked)[SHARED_TAIL];
}

/**
 * Cassandra consistency levels by the names users write on the command line, with their codes in
 * the native protocol. Kept apart from lib/cassandra.ts so that parsing flags and printing help
 * load no driver (a test checks the codes against the driver's own table).
 */
import { Invalid, type Parser } from "../core/parse.ts";

/** Consistency levels by name, as protocol codes. */
export const CONSISTENCY_LEVELS = {
  one: 0x0001,
  two: 0x0002,
  three: 0x0003,
  quorum: 0x0004,
  all: 0x0005,
  local_quorum: 0x0006,
  each_quorum: 0x0007,
  local_one: 0x000a,
} as const;

/** A consistency level name, as accepted by `--consistency`. */
export type ConsistencyName = keyof typeof CONSISTENCY_LEVELS;

/** Reads a consistency level name, case-insensitive. */
export const parseConsistency: Parser<ConsistencyName> = (raw) => {
  const name = raw.trim().toLowerCase();
  if (!Object.hasOwn(CONSISTENCY_LEVELS, name)) {
    return new Invalid(
      `unknown level '${raw}'`,
      `Valid levels: ${Object.keys(CONSISTENCY_LEVELS).join(", ")}.`,
    );
  }
  return name as ConsistencyName;
};

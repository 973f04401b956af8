/**
 * Parsers of text values (flags, environment variables, config). Each returns the value or an
 * Invalid saying what is wrong with the text alone; the caller, which knows where the text came
 * from, words the error (see lib/cli/flags.ts).
 */

/** Why a text was refused: a phrase about the value, and what the user can do about it. */
export class Invalid {
  constructor(
    /** `takes a whole number 1 or more, got '0'`, or `'30' is not a duration`. */
    readonly reason: string,
    readonly hint?: string,
  ) {}
}

/** Turns a text into a value, or says why it cannot. */
export type Parser<T> = (raw: string) => T | Invalid;

/** Unwraps a parse that cannot fail (defaults, tests), throwing on a refused value. */
export function mustParse<T>(parser: Parser<T>, raw: string): T {
  const value = parser(raw);
  if (value instanceof Invalid) throw new Error(`'${raw}' was refused: ${value.reason}`);
  return value;
}

/** The text as given (file paths, passwords). */
export const text: Parser<string> = (raw) => raw;

/** The text trimmed, refused when empty: "needs a non-empty `what`". */
export function nonEmpty(what = "value"): Parser<string> {
  return (raw) => {
    const trimmed = raw.trim();
    return trimmed === "" ? new Invalid(`needs a non-empty ${what}`) : trimmed;
  };
}

/** A whole number in [min, max]; `_` may group digits. */
export function integer(
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): Parser<number> {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${min} to ${max}`;
  return (raw) => {
    const trimmed = raw.trim().replaceAll("_", "");
    const value = /^-?\d+$/.test(trimmed) ? Number(trimmed) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      return new Invalid(`takes a whole number ${range}, got '${raw}'`);
    }
    return value;
  };
}

/** One of a fixed set of words, case-insensitive. */
export function choice<T extends string>(choices: readonly T[]): Parser<T> {
  return (raw) =>
    choices.find((known) => known === raw.trim().toLowerCase()) ??
      new Invalid(`takes one of ${choices.join(", ")}, got '${raw}'`);
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1_000,
  kib: 1_024,
  mb: 1_000_000,
  mib: 1_048_576,
  gb: 1_000_000_000,
  gib: 1_073_741_824,
};

/** A size in bytes (`5120`, `5KiB`, `64MiB`, `1MB`) in [min, max]. */
export function byteSize(
  { min = 1, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): Parser<number> {
  return (raw) => {
    const match = raw.trim().toLowerCase().match(/^(\d+(?:\.\d+)?)\s*([a-z]*)$/);
    const unit = match === null ? undefined : BYTE_UNITS[match[2]];
    const bytes = match === null || unit === undefined ? NaN : Math.floor(Number(match[1]) * unit);
    if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
      return new Invalid(
        `takes a size from ${min} to ${max} bytes (e.g. 5KiB, 64MiB), got '${raw}'`,
      );
    }
    return bytes;
  };
}

/** A comma-separated list of `host` or `host:port`, each given `defaultPort` when it has none. */
export function hostList(defaultPort: number): Parser<string[]> {
  return (raw) => {
    const entries = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
    if (entries.length === 0) return new Invalid("needs at least one host");
    const hosts: string[] = [];
    for (const entry of entries) {
      const match = entry.match(/^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/);
      const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
      if (!match || port < 1 || port > 65535) {
        return new Invalid(`'${entry}' is not host or host:port`);
      }
      hosts.push(`${match[1]}:${port}`);
    }
    return hosts;
  };
}

/** True for `1`, `true`, `yes`, `on` (any case); false for anything else. */
export function truthy(raw: string): boolean {
  return /^(1|true|yes|on)$/i.test(raw.trim());
}

/** Where a server listens. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/**
 * `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT`; without a host, loopback (127.0.0.1), so a
 * server is reachable from elsewhere only when asked. Port 0 picks a free port.
 */
export const listenAddress: Parser<ListenAddress> = (raw) => {
  const trimmed = raw.trim();
  const match = trimmed.match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d+)$/) ??
    trimmed.match(/^()()(\d+)$/);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port > 65_535) {
    return new Invalid(
      `takes HOST:PORT (e.g. 127.0.0.1:9400, 0.0.0.0:9400 or :9400), got '${raw}'`,
    );
  }
  return { hostname: match[1] || match[2] || "127.0.0.1", port };
};

import { Invalid, type Parser } from "./parse.ts";

const UNITS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * A number with a unit in milliseconds: `500ms`, `10s`, `2m`, `1h`, `90d`, `1.5s`, or the words
 * a Spark trigger takes (`30 seconds`, `1 minute`); NaN for anything else. A bare number is
 * refused: its unit would be a guess. Callers bound it.
 */
export function durationMillis(text: string): number {
  const match = text.trim().toLowerCase().match(/^(\d+(?:\.\d+)?)\s*([a-z]+)$/);
  const unit = match === null ? undefined : UNITS[match[2]];
  return match === null || unit === undefined ? NaN : Number(match[1]) * unit;
}

/** Reads a duration from 1 ms to 24 h in milliseconds (trigger intervals, timeouts). */
export const parseInterval: Parser<number> = (text) => {
  const millis = durationMillis(text);
  if (!Number.isFinite(millis) || millis < 1 || millis > 24 * 3_600_000) {
    return new Invalid(
      `'${text}' is not a duration`,
      "Use a number with a unit, from 1ms to 24h: 500ms, 10s, 2m, 1h (or '30 seconds').",
    );
  }
  return Math.round(millis);
};

/** Formats milliseconds the way the flags take them: `500ms`, `30s`, `2m`, `1.5s`. */
export function formatInterval(millis: number): string {
  if (millis % 3_600_000 === 0) return `${millis / 3_600_000}h`;
  if (millis % 60_000 === 0) return `${millis / 60_000}m`;
  if (millis >= 1_000) return `${millis / 1_000}s`;
  return `${millis}ms`;
}

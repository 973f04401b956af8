import { Invalid, type Parser } from "../core/parse.ts";

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

// The last hour bucketed, and its text: events come in time order, so most calls repeat it (and
// rows of one hour then share one string).
let lastHour = NaN;
let lastBucket = "";

/** The UTC hour bucket of an instant: `YYYY-MM-DD HH:00`. */
export function hourBucket(time: Date): string {
  return hourBucketOf(time.getTime());
}

/** hourBucket() of an instant in milliseconds since the epoch. */
export function hourBucketOf(millis: number): string {
  const hour = Math.floor(millis / 3_600_000);
  if (hour !== lastHour) {
    const iso = new Date(millis).toISOString(); // always UTC: 2024-03-01T10:42:07.123Z
    lastBucket = `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00`;
    lastHour = hour;
  }
  return lastBucket;
}

// The last second formatted, and its text up to the milliseconds: produce formats one event after
// another in time order, so most calls repeat it.
let lastSecond = NaN;
let lastSecondText = "";

/** The same text as `time.toISOString()`, formatted once per second instead of per call. */
export function isoTime(time: Date): string {
  const ms = time.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const iso = new Date(second * 1000).toISOString(); // ...:07.000Z
    lastSecondText = iso.slice(0, iso.lastIndexOf(".") + 1);
    lastSecond = second;
  }
  return `${lastSecondText}${String(ms - second * 1000).padStart(3, "0")}Z`;
}

/**
 * Parses an ISO-8601 timestamp that carries its offset (`Z` or `+02:00`); undefined when the
 * text is not one or names a day the calendar lacks (Feb 30). Precision is the millisecond.
 */
export function parseTimestamp(text: string): Date | undefined {
  const canonical = parseCanonical(text);
  if (canonical !== undefined) return canonical;
  const match = text.trim().match(ISO_TIMESTAMP);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s = "0", fraction = "0", zone] = match;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2) || "0");
    if (offsetHours > 18 || offsetMins > 59) return undefined;
    offsetMinutes = sign * (offsetHours * 60 + offsetMins);
  }
  const millis = Number(fraction.padEnd(3, "0").slice(0, 3));
  return utcDate(
    [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), millis],
    offsetMinutes,
  );
}

// The last hour of a canonical timestamp read (its digits as one number) and its instant: events
// come in time order, so most calls repeat it, and only the minutes, seconds and milliseconds
// remain to be read.
let lastHourDigits = NaN;
let lastHourMillis = NaN;

/** Length of the canonical form, `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
export const CANONICAL_TIME_LENGTH = 24;
const DASH = 0x2d, COLON = 0x3a, DOT = 0x2e, LETTER_T = 0x54, LETTER_Z = 0x5a;
/** The characters of a text read by parseCanonical(), as bytes. */
const canonicalText = new Uint8Array(CANONICAL_TIME_LENGTH);

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form `toISOString()` and `produce` write, read without the
 * regular expression (this runs for every event); undefined for any other text.
 */
function parseCanonical(text: string): Date | undefined {
  if (text.length !== CANONICAL_TIME_LENGTH) return undefined;
  for (let i = 0; i < CANONICAL_TIME_LENGTH; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return undefined;
    canonicalText[i] = code;
  }
  const millis = canonicalMillisAt(canonicalText, 0);
  return millis === undefined ? undefined : new Date(millis);
}

/**
 * The instant, in milliseconds, of the canonical timestamp written in ASCII at `bytes[at]` (24
 * bytes, which the caller has); undefined if they are anything else or no such instant exists.
 */
export function canonicalMillisAt(bytes: Uint8Array, at: number): number | undefined {
  if (
    bytes[at + 4] !== DASH || bytes[at + 7] !== DASH || bytes[at + 10] !== LETTER_T ||
    bytes[at + 13] !== COLON || bytes[at + 16] !== COLON || bytes[at + 19] !== DOT ||
    bytes[at + 23] !== LETTER_Z
  ) {
    return undefined;
  }
  const year = digitsAt(bytes, at, 4);
  const month = digitsAt(bytes, at + 5, 2);
  const day = digitsAt(bytes, at + 8, 2);
  const hour = digitsAt(bytes, at + 11, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0) return undefined;
  const hourDigits = ((year * 100 + month) * 100 + day) * 100 + hour;
  if (hourDigits !== lastHourDigits) {
    const start = utcDate([year, month, day, hour, 0, 0, 0], 0);
    if (start === undefined) return undefined;
    lastHourDigits = hourDigits;
    lastHourMillis = start.getTime();
  }
  const minute = digitsAt(bytes, at + 14, 2);
  const second = digitsAt(bytes, at + 17, 2);
  const millis = digitsAt(bytes, at + 20, 3);
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) return undefined;
  return lastHourMillis + minute * 60_000 + second * 1_000 + millis;
}

/** The number the `count` ASCII decimal digits at `bytes[at]` spell, or -1 if one is not a digit. */
function digitsAt(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = bytes[i] - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The instant of calendar fields at a UTC offset; undefined for a day or time that is not. */
function utcDate(
  [year, month, day, hour, minute, second, millis]: readonly number[],
  offsetMinutes: number,
): Date | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(
    Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000,
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Reads an hour as users type it: `YYYY-MM-DD HH:00` (UTC), or an ISO-8601 timestamp with an
 * offset, which is converted to UTC and truncated to its hour. Returns the bucket text.
 */
export const parseHour: Parser<string> = (text) => {
  const trimmed = text.trim();
  const bare = trimmed.match(/^(\d{4}-\d{2}-\d{2})[T ](\d{2})(?::00(?::00(?:\.0+)?)?)?$/);
  const time = bare === null
    ? parseTimestamp(trimmed)
    : parseTimestamp(`${bare[1]}T${bare[2]}:00:00Z`);
  if (time === undefined) {
    return new Invalid(
      `'${text}' is not an hour`,
      "Write it as 'YYYY-MM-DD HH:00' (UTC), e.g. '2024-03-01 14:00', or as an ISO-8601 " +
        "time with an offset, e.g. '2024-03-01T16:00:00+02:00'.",
    );
  }
  return hourBucket(time);
};

/** Reads a UTC day, `YYYY-MM-DD`, refusing dates that do not exist. */
export const parseDate: Parser<string> = (text) => {
  const trimmed = text.trim();
  const match = trimmed.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (match === null || parseTimestamp(`${trimmed}T00:00:00Z`) === undefined) {
    return new Invalid(`'${text}' is not a date`, "Write it as YYYY-MM-DD (UTC), e.g. 2024-03-01.");
  }
  return trimmed;
};

/** The 24 hour buckets of a UTC day, `YYYY-MM-DD 00:00` to `YYYY-MM-DD 23:00`. */
export function hoursOf(date: string): string[] {
  return Array.from({ length: 24 }, (_, h) => `${date} ${String(h).padStart(2, "0")}:00`);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

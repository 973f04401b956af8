import { gunzipSync } from "node:zlib";
import { BoundedMemo } from "../core/memo.ts";
import { type Catalog, joinKey, type Value } from "./catalog.ts";
import { type Dataset, TIME_FIELD } from "./dataset.ts";
import { hourBucketOf, isoTime, parseTimestamp } from "./hour_bucket.ts";

/** A validated event: who, what, when, and the dataset's measures (a movie's rating). */
export interface Event {
  person: string;
  item: string;
  time: Date;
  measures: number[];
}

/** The outcome of reading one Kafka message value. */
export type Decoded = { ok: true; event: Event } | { ok: false; reason: string };

/** Longest person or item name accepted; keeps one bad producer from writing huge keys. */
const MAX_NAME_LENGTH = 1_000;
const utf8 = new TextDecoder("utf-8", { fatal: true });
// Decoding without validation is about three times as fast; a value with no U+FFFD in its text
// was valid UTF-8, and only the others (rare) are decoded again, strictly, to find out.
const utf8Lenient = new TextDecoder("utf-8");

/**
 * Reads and validates one message value: JSON (gzip-compressed values are accepted too), with
 * the dataset's person, item and time fields and its measures in range.
 */
export function decodeEvent(value: Uint8Array | null, dataset: Dataset): Decoded {
  if (value === null || value.length === 0) return fail("the message has no value");
  let bytes = value;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      return fail("the value looks gzip-compressed but does not decompress");
    }
  }
  let text = utf8Lenient.decode(bytes);
  if (text.includes("\uFFFD")) {
    try {
      text = utf8.decode(bytes);
    } catch {
      return fail("the value is not UTF-8 text");
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return fail(`the value is not JSON (${(error as Error).message})`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return fail("the value is JSON but not an object");
  }
  return validateEvent(body as Record<string, unknown>, dataset);
}

/** Checks the fields of a parsed event object. */
export function validateEvent(body: Record<string, unknown>, dataset: Dataset): Decoded {
  const person = nameField(body, dataset.personField);
  if (typeof person !== "string") return person;
  const item = nameField(body, dataset.itemField);
  if (typeof item !== "string") return item;

  const rawTime = body[TIME_FIELD];
  if (rawTime === undefined || rawTime === null) return fail(`field '${TIME_FIELD}' is missing`);
  if (typeof rawTime !== "string") {
    return fail(`field '${TIME_FIELD}' must be a string, got ${typeName(rawTime)}`);
  }
  const time = parseTimestamp(rawTime);
  if (time === undefined) {
    return fail(
      `field '${TIME_FIELD}' is not an ISO-8601 timestamp with an offset: '${clip(rawTime)}'`,
    );
  }

  const measures: number[] = [];
  for (const measure of dataset.measures) {
    const raw = body[measure.name];
    if (raw === undefined || raw === null) return fail(`field '${measure.name}' is missing`);
    if (typeof raw !== "number" || !Number.isInteger(raw)) {
      return fail(`field '${measure.name}' must be a whole number, got ${describe(raw)}`);
    }
    if (raw < measure.min || raw > measure.max) {
      return fail(
        `field '${measure.name}' must be from ${measure.min} to ${measure.max}, got ${raw}`,
      );
    }
    measures.push(raw);
  }
  return { ok: true, event: { person, item, time, measures } };
}

/**
 * The JSON text of an event, as the producer sends it: `{"reviewer":"Ada","movie":"Heat",
 * "time":"2024-03-01T10:00:00.123Z","rating":9}`. Written out directly rather than through an
 * object and JSON.stringify: produce does this for every event, and it was a tenth of its time.
 */
export function eventJson(event: Event, dataset: Dataset): string {
  const keys = jsonKeys(dataset);
  let json =
    `${keys.person}${quotedText.of(event.person)}${keys.item}${quotedText.of(event.item)}` +
    `${keys.time}${isoTime(event.time)}"`;
  for (let i = 0; i < keys.measures.length; i++) json += `${keys.measures[i]}${event.measures[i]}`;
  return json + "}";
}

/** The constant pieces of a dataset's event JSON, each key with its punctuation. */
interface JsonKeys {
  person: string;
  item: string;
  time: string;
  measures: string[];
}

const keysByDataset = new WeakMap<Dataset, JsonKeys>();

export function jsonKeys(dataset: Dataset): JsonKeys {
  let keys = keysByDataset.get(dataset);
  if (keys === undefined) {
    keys = {
      person: `{${JSON.stringify(dataset.personField)}:`,
      item: `,${JSON.stringify(dataset.itemField)}:`,
      time: `,"${TIME_FIELD}":"`,
      measures: dataset.measures.map((measure) => `,${JSON.stringify(measure.name)}:`),
    };
    keysByDataset.set(dataset, keys);
  }
  return keys;
}

// People and titles repeat from event to event: their JSON strings are made once (bounded).
const quotedText = new BoundedMemo<string, string>((text) => JSON.stringify(text), 20_000);

/**
 * An enriched row, in the order of `tableColumns(dataset)`; `matched` tells the join found it.
 * An attribute the catalog has none for is `undefined`: the driver sends it unset, which writes
 * no tombstone, where `null` would write one.
 */
export interface EnrichedRow {
  values: (string | number | undefined)[];
  matched: boolean;
  /** The catalog entry joined, when matched. */
  attributes?: Value[];
}

/** Left-joins an event with the catalog and buckets it by UTC hour. */
export function enrich(event: Event, catalog: Catalog, attributeCount: number): EnrichedRow {
  return enrichFields(
    event.person,
    event.item,
    event.time.getTime(),
    event.measures,
    catalog,
    attributeCount,
  );
}

/** enrich() of an event's fields, its time in milliseconds since the epoch. */
export function enrichFields(
  person: string,
  item: string,
  millis: number,
  measures: readonly number[],
  catalog: Catalog,
  attributeCount: number,
): EnrichedRow {
  const attributes: Value[] | undefined = catalog.entries.get(item);
  // Filled in place: this runs for every event, and spreads would allocate twice.
  const values: (string | number | undefined)[] = new Array(4 + measures.length + attributeCount);
  values[0] = person;
  values[1] = hourBucketOf(millis);
  // As milliseconds: a row lives until its batch is written, and a Date costs six times as much.
  values[2] = millis;
  values[3] = item;
  let i = 4;
  for (const measure of measures) values[i++] = measure;
  for (let a = 0; a < attributeCount; a++) values[i++] = attributes?.[a] ?? undefined;
  return { values, matched: attributes !== undefined, attributes };
}

function nameField(body: Record<string, unknown>, field: string): string | Decoded {
  const raw = body[field];
  if (raw === undefined || raw === null) return fail(`field '${field}' is missing`);
  if (typeof raw !== "string") {
    return fail(`field '${field}' must be a string, got ${typeName(raw)}`);
  }
  return checkedName(raw, field);
}

/** A person's or item's name as the stream keeps it (trimmed, shared), or why it is refused. */
export function checkedName(raw: string, field: string): string | Decoded {
  const value = joinKey(raw);
  if (value === "") return fail(`field '${field}' is empty`);
  if (value.length > MAX_NAME_LENGTH) {
    return fail(`field '${field}' is longer than ${MAX_NAME_LENGTH} characters`);
  }
  return names.of(value);
}

/**
 * People and titles repeat from event to event, and each event's row keeps its two names until
 * its batch is written, through several young-generation collections that copy and then promote
 * what is alive. One remembered string per name (bounded) lets each event's own copy die young.
 */
const names = new BoundedMemo<string, string>((name) => name, 50_000);

function fail(reason: string): Decoded {
  return { ok: false, reason };
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
}

function describe(value: unknown): string {
  return typeof value === "string"
    ? `the string '${clip(value)}'`
    : JSON.stringify(value) ?? typeName(value);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

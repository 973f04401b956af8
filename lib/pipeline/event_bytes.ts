/**
 * The producer's own event JSON, read straight from a message's bytes.
 *
 * decodeEvent() reads any JSON: it decodes the value to a string, parses it into an object and
 * checks the object's fields, a string, an object, three more strings and a Date per event, all
 * garbage by the time the row is made. `produce` writes its events in one exact layout
 * (eventJson()): `{"reviewer":"Ada","movie":"Heat","time":"2024-03-01T10:00:00.123Z","rating":9}`.
 * A value in that layout, its names free of escapes and control characters, its time canonical and
 * its measures plain whole numbers in range, is read here byte by byte into the same fields, with
 * names looked up by their bytes among those seen before. Anything else, valid or not, is left to
 * decodeEvent(), which then accepts it or says what is wrong with it; so for every value both
 * give the same event, and every reason for refusing one comes from one place.
 */
import type { Dataset } from "./dataset.ts";
import { checkedName, jsonKeys } from "./event.ts";
import { CANONICAL_TIME_LENGTH, canonicalMillisAt } from "./hour_bucket.ts";

/** An event's fields as the row takes them; valid until the reader's next read(). */
export interface EventFields {
  person: string;
  item: string;
  /** Milliseconds since the epoch. */
  millis: number;
  measures: number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** More digits than this are left to JSON.parse (a double's exact whole numbers have 15-16). */
const MAX_DIGITS = 15;

const encoder = new TextEncoder();
// Exact: a name that begins with U+FEFF keeps it, as JSON.parse keeps it.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Reads one dataset's events in the producer's layout. */
export class ProducedEventReader {
  readonly #person: Uint8Array;
  readonly #item: Uint8Array;
  readonly #time: Uint8Array;
  readonly #measures: Uint8Array[];
  readonly #fields: EventFields;
  readonly #names = new NameTable();
  #at = 0;

  constructor(readonly dataset: Dataset) {
    const keys = jsonKeys(dataset);
    // The texts between the values: each name's quotes belong to the piece before and after.
    this.#person = encoder.encode(`${keys.person}"`);
    this.#item = encoder.encode(`"${keys.item}"`);
    this.#time = encoder.encode(`"${keys.time}`);
    this.#measures = keys.measures.map((key, i) => encoder.encode(i === 0 ? `"${key}` : key));
    this.#fields = { person: "", item: "", millis: 0, measures: dataset.measures.map(() => 0) };
  }

  /**
   * The fields of the event in `bytes[at, at + length)`, if written in the producer's layout and
   * valid; undefined for anything else (decodeEvent() then reads it).
   */
  read(bytes: Uint8Array, at: number, length: number): EventFields | undefined {
    const end = at + length;
    const { dataset } = this;
    const fields = this.#fields;
    this.#at = at;
    if (!this.#expect(bytes, this.#person)) return undefined;
    const person = this.#name(bytes, end, dataset.personField);
    if (person === undefined || !this.#expect(bytes, this.#item)) return undefined;
    const item = this.#name(bytes, end, dataset.itemField);
    if (item === undefined || !this.#expect(bytes, this.#time)) return undefined;
    if (this.#at + CANONICAL_TIME_LENGTH > end) return undefined;
    const millis = canonicalMillisAt(bytes, this.#at);
    if (millis === undefined) return undefined;
    this.#at += CANONICAL_TIME_LENGTH;
    if (dataset.measures.length === 0 && !this.#expect(bytes, CLOSING_QUOTE)) return undefined;
    for (let m = 0; m < dataset.measures.length; m++) {
      if (!this.#expect(bytes, this.#measures[m])) return undefined;
      const measure = this.#wholeNumber(bytes, end);
      const { min, max } = dataset.measures[m];
      if (measure === undefined || measure < min || measure > max) return undefined;
      fields.measures[m] = measure;
    }
    if (this.#at !== end - 1 || bytes[this.#at] !== CLOSE_BRACE) return undefined;
    fields.person = person;
    fields.item = item;
    fields.millis = millis;
    return fields;
  }

  /** Whether `piece` is next; moves past it if so. */
  #expect(bytes: Uint8Array, piece: Uint8Array): boolean {
    const at = this.#at;
    for (let i = 0; i < piece.length; i++) {
      if (bytes[at + i] !== piece[i]) return false;
    }
    this.#at = at + piece.length;
    return true;
  }

  /** The name up to the next quote, if it has no escape or control character and is accepted. */
  #name(bytes: Uint8Array, end: number, field: string): string | undefined {
    const from = this.#at;
    let to = from;
    while (to < end) {
      const byte = bytes[to];
      if (byte === QUOTE) break;
      if (byte < 0x20 || byte === BACKSLASH) return undefined;
      to++;
    }
    if (to >= end) return undefined;
    this.#at = to;
    return this.#names.of(bytes, from, to, field);
  }

  /** A JSON whole number with no sign, fraction or exponent, of at most MAX_DIGITS digits. */
  #wholeNumber(bytes: Uint8Array, end: number): number | undefined {
    const from = this.#at;
    let value = 0;
    let to = from;
    while (to < end && to - from <= MAX_DIGITS) {
      const byte = bytes[to];
      if (byte < DIGIT_0 || byte > DIGIT_9) break;
      value = value * 10 + (byte - DIGIT_0);
      to++;
    }
    const digits = to - from;
    // Leading zeros are not JSON; what follows must end the number.
    if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && bytes[from] === DIGIT_0)) {
      return undefined;
    }
    if (bytes[to] !== COMMA && bytes[to] !== CLOSE_BRACE) return undefined;
    this.#at = to;
    return value;
  }
}

const CLOSING_QUOTE = encoder.encode(`"`);

/** Names longer than this many bytes are decoded every time rather than remembered. */
const REMEMBERED_BYTES = 256;
const TABLE_SIZE = 1 << 15;
/** Names remembered at most; past this the table starts again empty (probes stay short). */
const MAX_NAMES = (TABLE_SIZE / 4) * 3;

/**
 * Names by their UTF-8 bytes, in an open-addressed table: a hash picks a slot, and a name is in
 * the first slot from there that holds its bytes, before the first empty one. A name seen again
 * costs a hash and a comparison or two, and no string. Names never push each other out (with one
 * slot per hash, two titles of one catalog that shared a slot were decoded again at every event,
 * 4-8 % of all names read); past MAX_NAMES the table is emptied and fills again.
 */
export class NameTable {
  readonly #bytes: (Uint8Array | undefined)[] = new Array(TABLE_SIZE).fill(undefined);
  readonly #names: string[] = new Array(TABLE_SIZE).fill("");
  #count = 0;
  /** Names decoded from their bytes so far, remembered or not (tests). */
  decoded = 0;

  /** The accepted name the bytes `[from, to)` spell; undefined if not UTF-8 or refused. */
  of(bytes: Uint8Array, from: number, to: number, field: string): string | undefined {
    const length = to - from;
    const home = nameSlot(bytes, from, to);
    let slot = home;
    for (let known = this.#bytes[slot]; known !== undefined; known = this.#bytes[slot]) {
      if (known.length === length && sameBytes(known, bytes, from)) return this.#names[slot];
      slot = (slot + 1) & (TABLE_SIZE - 1);
    }
    this.decoded++;
    let text: string;
    try {
      text = strictUtf8.decode(bytes.subarray(from, to));
    } catch {
      return undefined;
    }
    const name = checkedName(text, field);
    if (typeof name !== "string") return undefined;
    if (length <= REMEMBERED_BYTES) {
      if (this.#count >= MAX_NAMES) {
        this.#bytes.fill(undefined);
        this.#names.fill("");
        this.#count = 0;
        slot = home;
      }
      // A copy: a Buffer's slice() is a view, which would keep the whole fetched batch alive and
      // change if its memory were ever reused.
      const copy = new Uint8Array(length);
      copy.set(bytes.subarray(from, to));
      this.#bytes[slot] = copy;
      this.#names[slot] = name;
      this.#count++;
    }
    return name;
  }
}

/** The table slot of the name bytes `[from, to)`: their FNV-1a hash, cut to the table's size. */
export function nameSlot(bytes: Uint8Array, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return (hash >>> 0) & (TABLE_SIZE - 1);
}

/** Whether `bytes` from `from` on begin with `known`. */
function sameBytes(known: Uint8Array, bytes: Uint8Array, from: number): boolean {
  for (let i = 0; i < known.length; i++) {
    if (known[i] !== bytes[from + i]) return false;
  }
  return true;
}

const readers = new WeakMap<Dataset, ProducedEventReader>();

/** The reader of a dataset's events, made once. */
export function producedEventReader(dataset: Dataset): ProducedEventReader {
  let reader = readers.get(dataset);
  if (reader === undefined) readers.set(dataset, reader = new ProducedEventReader(dataset));
  return reader;
}

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { datasetByName } from "./dataset.ts";
import { decodeEvent, type Event, eventJson } from "./event.ts";
import { nameSlot, NameTable, ProducedEventReader } from "./event_bytes.ts";

const movies = datasetByName("movies");
const songs = datasetByName("songs");
const encode = (text: string) => new TextEncoder().encode(text);

/** What decodeEvent() makes of a value, as the reader's fields. */
function decoded(value: Uint8Array, dataset = movies) {
  const result = decodeEvent(value, dataset);
  if (!result.ok) return undefined;
  const { person, item, time, measures } = result.event;
  return { person, item, millis: time.getTime(), measures };
}

/** What the reader makes of a value, copied (its fields are reused by the next read). */
function read(reader: ProducedEventReader, value: Uint8Array, at = 0, length = value.length) {
  const fields = reader.read(value, at, length);
  return fields === undefined ? undefined : { ...fields, measures: [...fields.measures] };
}

const review = (overrides: Partial<Event> = {}): Event => ({
  person: "Ada Lovelace",
  item: "Heat",
  time: new Date("2024-03-01T10:42:07.123Z"),
  measures: [9],
  ...overrides,
});

Deno.test("the reader reads what produce writes, as decodeEvent() reads it", () => {
  const reader = new ProducedEventReader(movies);
  const events = [
    review(),
    review({ person: "Zoë Ng", item: "Amélie" }),
    review({ item: " Heat\u00a0" }), // trimmed as the join key is
    review({ item: "\ufeffHeat" }),
    review({ person: "日本 太郎", measures: [1] }),
    review({ measures: [10], time: new Date("2024-02-29T23:59:59.999Z") }),
    review({ time: new Date("1999-12-31T00:00:00.000Z") }),
  ];
  for (const event of events) {
    const value = encode(eventJson(event, movies));
    const expected = decoded(value);
    assert.ok(expected !== undefined, eventJson(event, movies));
    assert.deepEqual(read(reader, value), expected);
    // A second time, from the names it remembers.
    assert.deepEqual(read(reader, value), expected);
  }
  const listens = new ProducedEventReader(songs);
  const listen = encode(eventJson(review({ item: "Flowers", measures: [] }), songs));
  assert.deepEqual(read(listens, listen), decoded(listen, songs));
});

Deno.test("the reader reads a value where it lies in bytes shared with others", () => {
  const reader = new ProducedEventReader(movies);
  const first = encode(eventJson(review(), movies));
  const second = encode(eventJson(review({ person: "Bo", measures: [3] }), movies));
  const chunk = new Uint8Array(first.length + second.length + 2);
  chunk.set(first, 1);
  chunk.set(second, 1 + first.length);
  assert.deepEqual(read(reader, chunk, 1, first.length), decoded(first));
  assert.deepEqual(read(reader, chunk, 1 + first.length, second.length), decoded(second));
  // One byte short of the value, or one past it, is not the producer's layout.
  assert.equal(read(reader, chunk, 1, first.length - 1), undefined);
  assert.equal(read(reader, chunk, 1, first.length + 1), undefined);
});

Deno.test("anything but the producer's layout is left to decodeEvent(), valid or not", () => {
  const reader = new ProducedEventReader(movies);
  const base = eventJson(review(), movies);
  const texts = [
    base.replace(`"rating":9`, `"rating": 9`), // white space
    base.replace("Ada", "A\\u0064a"), // an escape
    base.replace("Ada", 'A\\"da'),
    base.replace("Ada", "A\tda"), // a control character: not JSON
    base.replace(`"rating":9`, `"rating":9.0`), // a whole number JSON writes otherwise
    base.replace(`"rating":9`, `"rating":1e1`),
    base.replace(`"rating":9`, `"rating":09`), // not JSON
    base.replace(`"rating":9`, `"rating":-1`),
    base.replace(`"rating":9`, `"rating":11`), // out of range
    base.replace(`"rating":9`, `"rating":0`),
    base.replace(`"rating":9`, `"rating":1234567890123456789`),
    base.replace("10:42:07.123Z", "10:42:07Z"), // valid, not canonical
    base.replace("10:42:07.123Z", "12:42:07.123+02:00"),
    base.replace("2024-03-01", "2023-02-29"), // no such day
    base.replace("10:42", "24:42"),
    base.replace("10:42", "10:60"),
    base.replace("Ada Lovelace", ""), // empty
    base.replace("Ada Lovelace", "   "),
    base.replace("Ada Lovelace", "x".repeat(1_001)), // too long
    base.replace(`}`, `,"extra":1}`),
    base.replace(`{`, `{"extra":1,`),
    `{"movie":"Heat","reviewer":"Ada","time":"2024-03-01T10:42:07.123Z","rating":9}`,
    `{"reviewer":"Ada","movie":"Heat","time":"2024-03-01T10:42:07.123Z"}`,
    `{"reviewer":"Ada","movie":"Heat","rating":9}`,
    base + " ",
    base.slice(0, -1),
    base.slice(0, 20),
    "\ufeff" + base,
    "",
    "{}",
  ];
  for (const text of texts) {
    const value = encode(text);
    assert.equal(read(reader, value), undefined, text);
  }
  // Bytes that are not UTF-8 in a name, and a value of the right shape around them.
  const broken = encode(base);
  broken[broken.indexOf(0x41)] = 0xff; // the "A" of "Ada"
  assert.equal(read(reader, broken), undefined);
  assert.equal(decoded(broken), undefined);
  // Names that fill every slot of the table and more are each still read right.
  for (let i = 0; i < 40_000; i++) {
    const value = encode(
      eventJson(review({ item: `Title ${i}`, measures: [1 + (i % 10)] }), movies),
    );
    assert.deepEqual(read(reader, value), decoded(value));
  }
});

Deno.test("on random edits of produced values the reader agrees with decodeEvent() or defers", () => {
  const reader = new ProducedEventReader(movies);
  const alphabet = encode(`"\\{},:0123456789 .-TZaé\u0000`);
  let seed = 42;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed % n;
  };
  let read_ = 0;
  for (let i = 0; i < 20_000; i++) {
    const value = encode(eventJson(review({ measures: [1 + random(10)] }), movies));
    const edits = random(3);
    for (let e = 0; e < edits; e++) value[random(value.length)] = alphabet[random(alphabet.length)];
    const fields = read(reader, value);
    if (fields === undefined) continue;
    read_++;
    assert.deepEqual(fields, decoded(value), new TextDecoder().decode(value));
  }
  assert.ok(read_ > 1_000, `only ${read_} values read`);
});

Deno.test("a remembered name is a copy: the fetched bytes it came from may change after", () => {
  // Another name of the same length in the same slot, so only the bytes tell them apart.
  const other = sameSlotAs("Adam");
  const reader = new ProducedEventReader(movies);
  // A Buffer, as kafkajs hands the record batch over: its slice() is a view, not a copy.
  const fetched = Buffer.from(eventJson(review({ person: "Adam" }), movies));
  assert.equal(reader.read(fetched, 0, fetched.length)?.person, "Adam");
  fetched.set(encode(other), fetched.indexOf("Adam"));
  const next = encode(eventJson(review({ person: other }), movies));
  assert.equal(reader.read(next, 0, next.length)?.person, other);
});

/** A four-letter name whose bytes fall in the same slot as `name`'s, and not `name` itself. */
function sameSlotAs(name: string): string {
  const bytes = encode(name);
  const slot = nameSlot(bytes, 0, bytes.length);
  for (let i = 0; i < 26 ** 4; i++) {
    const letters = [0, 1, 2, 3].map((place) => 97 + (Math.floor(i / 26 ** place) % 26));
    const other = String.fromCharCode(...letters);
    if (other !== name && nameSlot(new Uint8Array(letters), 0, 4) === slot) return other;
  }
  throw new Error(`no four-letter name shares ${name}'s slot`);
}

Deno.test("NameTable remembers names whose bytes hash alike, each decoded once", () => {
  const table = new NameTable();
  const other = sameSlotAs("Adam");
  const names = ["Adam", other, "Adam", other, other, "Adam"];
  const read = names.map((name) => {
    const bytes = encode(`"${name}"`);
    return table.of(bytes, 1, bytes.length - 1, "reviewer");
  });
  assert.deepEqual(read, names);
  assert.equal(table.decoded, 2);
});

Deno.test("NameTable starts again empty when full, and still reads every name", () => {
  const table = new NameTable();
  const name = (i: number) => encode(`name ${i}`);
  const count = 30_000; // more than it keeps
  for (let i = 0; i < count; i++) {
    const bytes = name(i);
    assert.equal(table.of(bytes, 0, bytes.length, "reviewer"), `name ${i}`);
  }
  assert.equal(table.decoded, count);
  // The latest names are still there; the first ones were let go when it emptied.
  const last = name(count - 1);
  table.of(last, 0, last.length, "reviewer");
  assert.equal(table.decoded, count);
  const first = name(0);
  assert.equal(table.of(first, 0, first.length, "reviewer"), "name 0");
  assert.equal(table.decoded, count + 1);
});

/**
 * Datasets as descriptions: everything that differs between movie reviews and song listens
 * (event fields, catalog layout, topic, keyspace, table, numeric columns) lives here as data, so
 * produce, stream and query run one code path for both.
 */
import { Invalid, type Parser } from "../core/parse.ts";

/** Column types the pipeline stores; each maps to one CQL type. */
export type AttributeType = "text" | "int" | "bigint" | "double";

/** How one attribute is read from a catalog row. */
export interface ColumnMapping {
  /** Catalog column to read; with a list, the first column that yields a value wins. */
  column: string | string[];
  /** A regular expression; its first capture group is the value. No match gives no value. */
  pattern?: string;
  /** Multiplies numbers, e.g. 0.01 to turn a percentage into a 0-1 fraction. */
  scale?: number;
  /** Replaces whole cell values, e.g. {"Major": 1, "Minor": 0}; other values are errors. */
  values?: Record<string, string | number>;
}

/** Which column is the join key and which columns feed which attributes. */
export interface CatalogMapping {
  key: string;
  attributes: Record<string, ColumnMapping>;
}

/** A catalog attribute stored on every event row. */
export interface Attribute {
  name: string;
  type: AttributeType;
}

/** A numeric field the event itself carries (the movie rating), with its valid range. */
export interface Measure {
  name: string;
  min: number;
  max: number;
}

/** Everything the pipeline needs to know about one kind of event. */
export interface Dataset {
  name: string;
  /** Words for help and log lines: "review" / "reviewed" / "reviewer". */
  words: { event: string; verb: string; person: string };
  topic: string;
  keyspace: string;
  table: string;
  defaultGroup: string;
  /** Schema file under cql/, with ${keyspace} and ${replication} placeholders. */
  schemaFile: string;
  /** The catalog the project ships, under data/. */
  catalogFile: string;
  /** Event field (and column) naming the person, part of the partition key. */
  personField: string;
  /** Event field (and column) naming the catalog item, the join key, a clustering column. */
  itemField: string;
  /** The numeric column the demo and the docs average: duration for movies. */
  reportColumn: string;
  /** Integer fields the event carries besides person, item and time. */
  measures: Measure[];
  /** Columns filled from the catalog. */
  attributes: Attribute[];
  /** How the default catalog layout feeds the attributes. */
  catalog: CatalogMapping;
}

/** The event field holding the UTC timestamp, the same for every dataset. */
export const TIME_FIELD = "time";
/** The column holding the UTC hour bucket, `YYYY-MM-DD HH:00`. */
export const HOUR_COLUMN = "hour";

const MOVIES: Dataset = {
  name: "movies",
  words: { event: "review", verb: "reviewed", person: "reviewer" },
  topic: "movie_reviews",
  keyspace: "movies",
  table: "movie_reviews",
  defaultGroup: "reviews-movies",
  schemaFile: "movies.cql",
  catalogFile: "movies.csv",
  personField: "reviewer",
  itemField: "movie",
  reportColumn: "duration",
  measures: [{ name: "rating", min: 1, max: 10 }],
  attributes: [
    { name: "duration", type: "int" },
    { name: "seasons", type: "int" },
    { name: "type", type: "text" },
    { name: "director", type: "text" },
    { name: "country", type: "text" },
    { name: "maturity_rating", type: "text" },
    { name: "release_year", type: "int" },
    { name: "listed_in", type: "text" },
  ],
  catalog: {
    key: "title",
    attributes: {
      // Three rows of the Kaggle file carry the runtime ("74 min") in `rating`, with `duration`
      // empty: the runtime is taken from either column, the maturity rating only when it is not
      // a runtime.
      duration: { column: ["duration", "rating"], pattern: "^(\\d+) min$" },
      seasons: { column: "duration", pattern: "^(\\d+) Seasons?$" },
      type: { column: "type" },
      director: { column: "director" },
      country: { column: "country" },
      maturity_rating: { column: "rating", pattern: "^(?!\\d+ min$)(.+)$" },
      release_year: { column: "release_year" },
      listed_in: { column: "listed_in" },
    },
  },
};

const SONGS: Dataset = {
  name: "songs",
  words: { event: "listen", verb: "played", person: "person" },
  topic: "song_listens",
  keyspace: "spotify",
  table: "listens",
  defaultGroup: "reviews-songs",
  schemaFile: "songs.cql",
  catalogFile: "songs.csv",
  personField: "person",
  itemField: "song",
  reportColumn: "danceability",
  measures: [],
  attributes: [
    { name: "artist", type: "text" },
    { name: "album", type: "text" },
    { name: "release_year", type: "int" },
    { name: "genre", type: "text" },
    { name: "subgenre", type: "text" },
    { name: "popularity", type: "int" },
    { name: "streams", type: "bigint" },
    { name: "danceability", type: "double" },
    { name: "energy", type: "double" },
    // `key` is a reserved word in CQL.
    { name: "musical_key", type: "int" },
    { name: "loudness", type: "double" },
    { name: "mode", type: "int" },
    { name: "speechiness", type: "double" },
    { name: "acousticness", type: "double" },
    { name: "instrumentalness", type: "double" },
    { name: "liveness", type: "double" },
    { name: "valence", type: "double" },
    { name: "tempo", type: "double" },
    { name: "duration_ms", type: "int" },
  ],
  catalog: {
    key: "track_name",
    attributes: {
      artist: { column: "track_artist" },
      album: { column: "track_album_name" },
      release_year: { column: "track_album_release_date", pattern: "^(\\d{4})" },
      genre: { column: "playlist_genre" },
      subgenre: { column: "playlist_subgenre" },
      popularity: { column: "track_popularity" },
      danceability: { column: "danceability" },
      energy: { column: "energy" },
      musical_key: { column: "key" },
      loudness: { column: "loudness" },
      mode: { column: "mode" },
      speechiness: { column: "speechiness" },
      acousticness: { column: "acousticness" },
      instrumentalness: { column: "instrumentalness" },
      liveness: { column: "liveness" },
      valence: { column: "valence" },
      tempo: { column: "tempo" },
      duration_ms: { column: "duration_ms" },
    },
  },
};

/** The datasets by name; `movies` is the default. */
export const DATASETS: Readonly<Record<string, Dataset>> = { movies: MOVIES, songs: SONGS };

/** The names `--dataset` accepts. */
export const DATASET_NAMES: readonly string[] = Object.keys(DATASETS);

/** Reads a dataset name (`--dataset`), case-insensitive. */
export const parseDataset: Parser<Dataset> = (raw) =>
  DATASETS[raw.trim().toLowerCase()] ??
    new Invalid(`Unknown dataset '${raw}'`, `Valid datasets: ${DATASET_NAMES.join(", ")}.`);

/** Looks up a dataset the code names (tests, scripts); throws on a name that is not one. */
export function datasetByName(name: string): Dataset {
  const dataset = parseDataset(name);
  if (dataset instanceof Invalid) throw new Error(`${dataset.reason}. ${dataset.hint}`);
  return dataset;
}

/** The dead-letter topic of a topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Every table's partition key is (person, hour): the first two of its columns. */
export const PARTITION_KEY_COLUMNS = 2;

/** The table's columns in insert order: person, hour, time, item, measures, attributes. */
export function tableColumns(dataset: Dataset): string[] {
  return [
    dataset.personField,
    HOUR_COLUMN,
    TIME_FIELD,
    dataset.itemField,
    ...dataset.measures.map((measure) => measure.name),
    ...dataset.attributes.map((attribute) => attribute.name),
  ];
}

/** The columns a person's hour and day are summed up by: the measures, then the report column. */
export function reportColumns(dataset: Dataset): string[] {
  return [...new Set([...dataset.measures.map((measure) => measure.name), dataset.reportColumn])];
}

/** Columns of CQL type text: the person, the hour bucket, the item and the text attributes. */
export function textColumns(dataset: Dataset): string[] {
  return [
    dataset.personField,
    HOUR_COLUMN,
    dataset.itemField,
    ...dataset.attributes.filter((attribute) => attribute.type === "text").map((a) => a.name),
  ];
}

/** Columns `query avg` can average: the measures and the numeric attributes. */
export function numericColumns(dataset: Dataset): string[] {
  return [
    ...dataset.measures.map((measure) => measure.name),
    ...dataset.attributes.filter((attribute) => attribute.type !== "text").map((a) => a.name),
  ];
}

/** Reads a Kafka topic name: letters, digits, `.`, `_`, `-`; 240 at most. */
export const parseTopicName: Parser<string> = (raw) =>
  /^[A-Za-z0-9._-]{1,240}$/.test(raw) ? raw : new Invalid(`'${raw}' is not a valid topic name`);

/** Reads a Cassandra keyspace name: a letter, then letters, digits, `_`; 48 at most. */
export const parseKeyspaceName: Parser<string> = (raw) =>
  /^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(raw)
    ? raw
    : new Invalid(`'${raw}' is not a valid keyspace name (letters, digits, _; 48 at most)`);

/** A dataset with its topic or keyspace replaced (tests and side-by-side runs). */
export function withOverrides(
  dataset: Dataset,
  overrides: { topic?: string; keyspace?: string },
): Dataset {
  return {
    ...dataset,
    topic: overrides.topic ?? dataset.topic,
    keyspace: overrides.keyspace ?? dataset.keyspace,
  };
}

import { parse } from "csv-parse/sync";
import type { AttributeType, CatalogMapping, ColumnMapping, Dataset } from "./dataset.ts";
import { InputError, messageOf } from "../core/errors.ts";
import { dataPath } from "../core/resources.ts";

/** A stored attribute value; `null` means the catalog has none (the column is left unset). */
export type Value = string | number | null;

/** A row of the catalog that was skipped, with where and why. */
export interface RowProblem {
  line: number;
  column?: string;
  reason: string;
}

/** A loaded catalog: attributes by join key. */
export interface Catalog {
  file: string;
  /** Attribute values by key, in the dataset's attribute order. */
  entries: Map<string, Value[]>;
  /** Data rows read (not counting the header). */
  rows: number;
  /** Rows whose key had been seen before; the first one wins. */
  duplicates: number;
  /** Rows that could not be read and were skipped. */
  problems: RowProblem[];
}

/** Options of the loader. */
export interface CatalogOptions {
  /** Which columns feed which attributes; defaults to the dataset's own layout. */
  mapping?: CatalogMapping;
  /** Make the first unreadable row an error instead of skipping it. */
  strict?: boolean;
}

/** Reads a catalog file; a missing or unreadable file is an InputError naming it. */
export async function loadCatalog(
  path: string,
  dataset: Dataset,
  options: CatalogOptions = {},
): Promise<Catalog> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : messageOf(error);
    throw new InputError(path, undefined, undefined, `cannot read the catalog: ${reason}`);
  }
  return parseCatalog(bytes, path, dataset, options);
}

/** The join key of a title: surrounding white space (non-breaking spaces too) removed. */
export function joinKey(title: string): string {
  // String.prototype.trim removes U+00A0 and U+FEFF along with ASCII white space.
  return title.trim();
}

/** Parses catalog bytes; pure, so tests can feed it any content. */
export function parseCatalog(
  bytes: Uint8Array,
  file: string,
  dataset: Dataset,
  options: CatalogOptions = {},
): Catalog {
  const mapping = options.mapping ?? dataset.catalog;
  const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(bytes);
  if (bytes.includes(0)) {
    throw new InputError(file, undefined, undefined, "not a CSV file (it contains NUL bytes)");
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new InputError(file, line, undefined, `not valid CSV: ${csvReason(error)}`);
  }
  if (records.length === 0) throw new InputError(file, 1, undefined, "the file is empty");
  const header = records[0].record.map((name) => name.trim());
  const readers = compileMapping(mapping, dataset, header, file);
  const keyIndex = header.indexOf(mapping.key);

  const entries = new Map<string, Value[]>();
  const problems: RowProblem[] = [];
  let duplicates = 0;
  let previousEnd = records[0].info.lines;
  for (let index = 1; index < records.length; index++) {
    const { record, info } = records[index];
    const line = previousEnd + 1;
    previousEnd = info.lines;
    let failure = rowProblem(record, header.length, keyIndex, mapping.key);
    let values: Value[] = [];
    if (failure === undefined) {
      try {
        values = readers.map((read) => read(record));
      } catch (error) {
        failure = error instanceof CellError
          ? { column: error.column, reason: error.message }
          : { reason: messageOf(error) };
      }
    }
    if (failure !== undefined) {
      const found = { line, ...failure };
      if (options.strict) {
        throw new InputError(
          file,
          line,
          found.column,
          found.reason,
          "Without --strict, such rows are reported and skipped.",
        );
      }
      problems.push(found);
      continue;
    }
    const key = joinKey(record[keyIndex]);
    if (entries.has(key)) {
      duplicates++;
      continue;
    }
    entries.set(key, values);
  }
  return { file, entries, rows: records.length - 1, duplicates, problems };
}

/** Checks the row's shape and its key; undefined when both are fine. */
function rowProblem(
  record: string[],
  width: number,
  keyIndex: number,
  keyName: string,
): Omit<RowProblem, "line"> | undefined {
  if (record.length !== width) {
    return { reason: `has ${record.length} fields, the header has ${width}` };
  }
  const key = record[keyIndex];
  if (joinKey(key) === "") return { column: keyName, reason: "the key is empty" };
  if (key.includes("\uFFFD")) return { column: keyName, reason: "invalid UTF-8 in the key" };
  return undefined;
}

class CellError extends Error {
  constructor(readonly column: string, message: string) {
    super(message);
  }
}

type CellReader = (record: string[]) => Value;

/** Checks a mapping against the dataset and the header, and turns it into one reader a column. */
function compileMapping(
  mapping: CatalogMapping,
  dataset: Dataset,
  header: string[],
  file: string,
): CellReader[] {
  if (!header.includes(mapping.key)) {
    throw new InputError(
      file,
      1,
      mapping.key,
      `no key column '${mapping.key}' in the header (columns: ${header.join(", ")})`,
    );
  }
  const known = new Set(dataset.attributes.map((attribute) => attribute.name));
  for (const name of Object.keys(mapping.attributes)) {
    if (!known.has(name)) {
      throw new InputError(
        file,
        undefined,
        name,
        `the mapping names an attribute the ${dataset.name} dataset does not have ` +
          `(attributes: ${[...known].join(", ")})`,
      );
    }
  }
  return dataset.attributes.map((attribute) => {
    const spec = mapping.attributes[attribute.name];
    if (spec === undefined) return () => null;
    const columns = Array.isArray(spec.column) ? spec.column : [spec.column];
    const indexes = columns.map((column) => {
      const index = header.indexOf(column);
      if (index < 0) {
        throw new InputError(
          file,
          1,
          column,
          `the mapping of '${attribute.name}' names a column the header lacks ` +
            `(columns: ${header.join(", ")})`,
        );
      }
      return index;
    });
    return cellReader(attribute.name, attribute.type, spec, columns, indexes);
  });
}

function cellReader(
  attribute: string,
  type: AttributeType,
  spec: ColumnMapping,
  columns: string[],
  indexes: number[],
): CellReader {
  const pattern = spec.pattern === undefined ? undefined : new RegExp(spec.pattern);
  return (record) => {
    for (let i = 0; i < indexes.length; i++) {
      const raw = record[indexes[i]].trim();
      if (raw === "") continue;
      if (raw.includes("\uFFFD")) {
        throw new CellError(columns[i], `invalid UTF-8 in '${attribute}'`);
      }
      let cell: string = raw;
      if (pattern !== undefined) {
        const match = raw.match(pattern);
        if (match === null) continue;
        cell = (match[1] ?? match[0]).trim();
      }
      let value: string | number = cell;
      if (spec.values !== undefined) {
        if (!Object.hasOwn(spec.values, cell)) {
          throw new CellError(
            columns[i],
            `'${cell}' is not one of ${Object.keys(spec.values).join(", ")}`,
          );
        }
        value = spec.values[cell];
      }
      return convert(value, type, spec.scale, columns[i]);
    }
    return null;
  };
}

/** Converts a cell to the attribute's type, applying the scale to numbers. */
function convert(
  value: string | number,
  type: AttributeType,
  scale: number | undefined,
  column: string,
): Value {
  if (type === "text") return String(value);
  const number = typeof value === "number" ? value : parseNumber(value);
  if (number === undefined) {
    throw new CellError(column, `not a number: '${truncate(String(value))}'`);
  }
  // Rounding to 12 significant digits drops binary noise (57 * 0.01 = 0.5700000000000001).
  const scaled = scale === undefined ? number : Number((number * scale).toPrecision(12));
  if (type === "double") return scaled;
  if (!Number.isInteger(scaled)) {
    throw new CellError(column, `not a whole number: '${truncate(String(value))}'`);
  }
  if (type === "int" && Math.abs(scaled) > 2_147_483_647) {
    throw new CellError(column, `out of range for a 32-bit integer: ${scaled}`);
  }
  return scaled;
}

/** Reads `12`, `-0.5`, `1e3` and `1,021` (thousands separators); undefined for anything else. */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  const plain = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(trimmed)
    ? trimmed.replaceAll(",", "")
    : trimmed;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(plain)) return undefined;
  const value = Number(plain);
  return Number.isFinite(value) ? value : undefined;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

function csvReason(error: unknown): string {
  return messageOf(error).replace(/^Invalid Record Length: |^CsvError: /, "");
}

/** Reads a mapping file (JSON: {"key": ..., "attributes": {...}}), naming the file on errors. */
export async function loadMapping(path: string): Promise<CatalogMapping> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new InputError(
      path,
      undefined,
      undefined,
      `cannot read the mapping: ${messageOf(error)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(path, undefined, undefined, `not JSON: ${messageOf(error)}`);
  }
  return checkMapping(parsed, path);
}

/** Validates the shape of a mapping read from JSON. */
export function checkMapping(value: unknown, file: string): CatalogMapping {
  const fail = (field: string, problem: string): never => {
    throw new InputError(file, undefined, field, problem);
  };
  if (typeof value !== "object" || value === null) return fail("(top)", "must be a JSON object");
  const { key, attributes } = value as Record<string, unknown>;
  if (typeof key !== "string" || key === "") fail("key", "must name the key column");
  if (typeof attributes !== "object" || attributes === null) {
    return fail("attributes", 'must map attribute names to {"column": ...}');
  }
  for (const [name, spec] of Object.entries(attributes)) {
    const field = `attributes.${name}`;
    if (typeof spec !== "object" || spec === null) fail(field, "must be an object");
    const { column, pattern, scale, values } = spec as Record<string, unknown>;
    const columns = Array.isArray(column) ? column : [column];
    if (columns.length === 0 || columns.some((c) => typeof c !== "string" || c === "")) {
      fail(`${field}.column`, "must be a column name or a list of them");
    }
    if (pattern !== undefined) {
      if (typeof pattern !== "string") fail(`${field}.pattern`, "must be a string");
      try {
        new RegExp(pattern as string);
      } catch (error) {
        fail(`${field}.pattern`, `not a regular expression: ${messageOf(error)}`);
      }
    }
    if (scale !== undefined && (typeof scale !== "number" || !Number.isFinite(scale))) {
      fail(`${field}.scale`, "must be a number");
    }
    if (values !== undefined && (typeof values !== "object" || values === null)) {
      fail(`${field}.values`, "must map cell values to stored values");
    }
  }
  return value as CatalogMapping;
}

/** Loads the catalog a command was pointed at and logs what was read and skipped. */
export async function openCatalog(
  dataset: Dataset,
  flags: { catalogPath?: string; mappingPath?: string; strict: boolean },
  logger: { info(message: string): void; warn(message: string): void },
): Promise<Catalog> {
  const started = performance.now();
  const mapping = flags.mappingPath === undefined
    ? undefined
    : await loadMapping(flags.mappingPath);
  const path = flags.catalogPath ?? dataPath(dataset.catalogFile);
  const catalog = await loadCatalog(path, dataset, { mapping, strict: flags.strict });
  if (catalog.entries.size === 0) {
    throw new InputError(path, undefined, undefined, "the catalog has no usable rows");
  }
  logger.info(
    `Catalog ${path}: ${catalog.rows} rows, ${catalog.entries.size} keys, ` +
      `${catalog.duplicates} duplicate keys skipped (first wins), ` +
      `${catalog.problems.length} unreadable rows skipped ` +
      `(${(performance.now() - started).toFixed(0)} ms)`,
  );
  for (const problem of catalog.problems.slice(0, 10)) {
    logger.warn(
      `${path}:${problem.line}: ${problem.column ? `${problem.column}: ` : ""}${problem.reason}`,
    );
  }
  if (catalog.problems.length > 10) {
    logger.warn(
      `... and ${catalog.problems.length - 10} more unreadable rows (--strict stops at the first)`,
    );
  }
  return catalog;
}

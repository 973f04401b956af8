import type { CassandraClient, CqlSchemaSession } from "./client.ts";
import {
  type AttributeType,
  type Dataset,
  HOUR_COLUMN,
  tableColumns,
  TIME_FIELD,
} from "../pipeline/dataset.ts";
import { ReviewsError } from "../core/errors.ts";
import { durationMillis } from "../core/interval.ts";
import { Invalid, type Parser } from "../core/parse.ts";
import { cqlPath } from "../core/resources.ts";

/** Keyspace replication: SimpleStrategy with one factor, or per-data-center factors. */
export type Replication =
  | { strategy: "SimpleStrategy"; factor: number }
  | { strategy: "NetworkTopologyStrategy"; dataCenters: Record<string, number> };

/** Reads `--keyspace-replication`: `3` (SimpleStrategy) or `dc1:3,dc2:2` (NetworkTopologyStrategy). */
export const parseReplication: Parser<Replication> = (text) => {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed) && Number(trimmed) >= 1) {
    return { strategy: "SimpleStrategy", factor: Number(trimmed) };
  }
  const dataCenters: Record<string, number> = {};
  for (const part of trimmed.split(",")) {
    const match = part.trim().match(/^([A-Za-z0-9_.-]+):(\d+)$/);
    if (match === null || Number(match[2]) < 1) {
      return new Invalid(
        `'${text}' is not a replication`,
        "Give a factor for SimpleStrategy (e.g. 1) or per-data-center factors for " +
          "NetworkTopologyStrategy (e.g. datacenter1:3,datacenter2:2).",
      );
    }
    dataCenters[match[1]] = Number(match[2]);
  }
  return { strategy: "NetworkTopologyStrategy", dataCenters };
};

/** The replication map as CQL. */
export function replicationCql(replication: Replication): string {
  if (replication.strategy === "SimpleStrategy") {
    return `{'class': 'SimpleStrategy', 'replication_factor': ${replication.factor}}`;
  }
  const factors = Object.entries(replication.dataCenters).map(([dc, n]) => `'${dc}': ${n}`);
  return `{'class': 'NetworkTopologyStrategy', ${factors.join(", ")}}`;
}

/** The dataset's schema file with its placeholders filled in, one statement per entry. */
export async function schemaStatements(
  dataset: Dataset,
  replication: Replication,
  ttlSeconds = 0,
): Promise<string[]> {
  const text = await Deno.readTextFile(cqlPath(dataset.schemaFile));
  const filled = text
    .replaceAll("${keyspace}", dataset.keyspace)
    .replaceAll("${replication}", replicationCql(replication))
    .replaceAll("${ttl}", String(ttlSeconds));
  return filled
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n")
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== "");
}

/** The schema as it stands in Cassandra, for people to read: the file's notes and statements. */
export interface LiveSchema {
  /** The schema file's comments on the design (why the table is shaped as it is). */
  notes: string[];
  /** The statements with the keyspace's replication and the table's TTL as Cassandra has them. */
  statements: string[];
}

/** Reads the keyspace's replication and the table's TTL and fills the schema file with them. */
export async function liveSchema(
  cassandra: Pick<CassandraClient, "execute">,
  dataset: Dataset,
): Promise<LiveSchema> {
  const [keyspace, table] = await Promise.all([
    cassandra.execute(
      "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?",
      [dataset.keyspace],
    ),
    cassandra.execute(
      "SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = ? AND " +
        "table_name = ?",
      [dataset.keyspace, dataset.table],
    ),
  ]);
  const replication = (keyspace.first()?.get("replication") ?? {}) as Record<string, string>;
  const strategy = (replication.class ?? "").split(".").at(-1);
  const factors = Object.fromEntries(
    Object.entries(replication).filter(([key]) => key !== "class").map(([k, v]) => [k, Number(v)]),
  );
  const parsed: Replication = strategy === "NetworkTopologyStrategy"
    ? { strategy, dataCenters: factors }
    : { strategy: "SimpleStrategy", factor: factors.replication_factor ?? 1 };
  const ttl = Number(table.first()?.get("default_time_to_live") ?? 0);
  const text = await Deno.readTextFile(cqlPath(dataset.schemaFile));
  // The first paragraph of comments is about the placeholders; the rest says why.
  const comments = text.split("\n").filter((line) => line.trim().startsWith("--"))
    .map((line) => line.trim().replace(/^--\s?/, ""));
  const notes = comments.slice(comments.indexOf("") + 1).filter((line) => line !== "");
  return { notes, statements: await schemaStatements(dataset, parsed, ttl) };
}

/** Whether `keyspace.table` exists. */
export async function tableExists(
  cassandra: Pick<CassandraClient, "execute">,
  keyspace: string,
  table: string,
): Promise<boolean> {
  const found = await cassandra.execute(
    "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
    [keyspace, table],
  );
  return found.rowLength > 0;
}

/** What ensureSchema found and did. */
export interface SchemaReport {
  keyspace: "created" | "exists";
  /** The replication the keyspace has (when it existed, it may differ from the one asked for). */
  replication: Record<string, string>;
  table: "created" | "exists";
  /** The table's default_time_to_live in seconds (0: rows never expire). */
  ttlSeconds: number;
  agreed: boolean;
}

/** Cassandra's largest TTL: 20 years. */
const MAX_TTL_SECONDS = 630_720_000;

/** Reads a table TTL (`--ttl`) in seconds: `0` or `none` (never expire), `90d`, `12h`, `3600s`. */
export const parseTtl: Parser<number> = (text) => {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "0" || trimmed === "none") return 0;
  const seconds = durationMillis(trimmed) / 1000;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    return new Invalid(
      `'${text}' is not a TTL`,
      "Give a duration of whole seconds with a unit (3600s, 12h, 90d), up to 20 years, " +
        "or 0 to keep rows forever.",
    );
  }
  return seconds;
};

/** `90 d`, `12 h`, `3600 s` or `none`: a TTL for messages. */
export function formatTtl(seconds: number): string {
  if (seconds === 0) return "none";
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

const CQL_TYPES: Record<AttributeType, string> = {
  text: "text",
  int: "int",
  bigint: "bigint",
  double: "double",
};

/** Creates the keyspace and table when missing, waits for schema agreement, checks the columns. */
export async function ensureSchema(
  cassandra: CqlSchemaSession,
  dataset: Dataset,
  replication: Replication,
  ttlSeconds = 0,
): Promise<SchemaReport> {
  const keyspaceRow = async () =>
    (await cassandra.execute(
      "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?",
      [dataset.keyspace],
    )).first();

  const keyspaceBefore = await keyspaceRow();
  const tableBefore = await tableExists(cassandra, dataset.keyspace, dataset.table);
  for (const statement of await schemaStatements(dataset, replication, ttlSeconds)) {
    await cassandra.execute(statement, [], { prepare: false });
  }
  const agreed = await cassandra.awaitSchemaAgreement();
  await checkColumns(cassandra, dataset);
  const keyspaceAfter = await keyspaceRow();
  const tableRow = (await cassandra.execute(
    "SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
    [dataset.keyspace, dataset.table],
  )).first();
  return {
    keyspace: keyspaceBefore ? "exists" : "created",
    replication: (keyspaceAfter?.get("replication") ?? {}) as Record<string, string>,
    table: tableBefore ? "exists" : "created",
    ttlSeconds: Number(tableRow?.get("default_time_to_live") ?? 0),
    agreed,
  };
}

/** Fails when the table in Cassandra lacks a column the dataset writes or has it with another type. */
async function checkColumns(
  cassandra: Pick<CassandraClient, "execute">,
  dataset: Dataset,
): Promise<void> {
  const result = await cassandra.execute(
    "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
    [dataset.keyspace, dataset.table],
  );
  const actual = new Map(result.rows.map((row) => [row.get("column_name"), row.get("type")]));
  const expected = new Map<string, string>([
    [dataset.personField, "text"],
    [HOUR_COLUMN, "text"],
    [TIME_FIELD, "timestamp"],
    [dataset.itemField, "text"],
    ...dataset.measures.map((measure) => [measure.name, "int"] as [string, string]),
    ...dataset.attributes.map((a) => [a.name, CQL_TYPES[a.type]] as [string, string]),
  ]);
  const wrong = tableColumns(dataset).filter((column) =>
    actual.get(column) !== expected.get(column)
  )
    .map((column) =>
      actual.has(column)
        ? `${column} is ${actual.get(column)}, expected ${expected.get(column)}`
        : `${column} is missing`
    );
  if (wrong.length > 0) {
    throw new ReviewsError(
      `Table ${dataset.keyspace}.${dataset.table} does not match the ${dataset.name} dataset: ` +
        wrong.join("; "),
      "It was probably created by an older version; alter it, or drop it and run init-schema again.",
    );
  }
}

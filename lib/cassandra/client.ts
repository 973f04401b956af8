import "./driver_patches.ts";
import cassandra from "cassandra-driver";
import type { CassandraConfig } from "./config.ts";
import { ConnectionError, withTimeout } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { describeCassandraError } from "../core/retry.ts";
import { nodeTlsOptions, tlsTrouble } from "../core/tls.ts";

/** One row of a result, as the driver returns it. */
export type Row = cassandra.types.Row;

/** A result set, as the driver returns it. */
export type ResultSet = cassandra.types.ResultSet;

/** Options of one request: consistency, paging, idempotence. */
export type QueryOptions = cassandra.QueryOptions;

/**
 * A cassandra-driver client that connects with bounded time and names what failed. The driver
 * stays inside: commands and adapters see only the methods below (or a Pick of them).
 */
export class CassandraClient {
  readonly #driver: cassandra.Client;
  #connected = false;

  constructor(readonly config: CassandraConfig, readonly logger: Logger) {
    this.#driver = new cassandra.Client({
      contactPoints: config.contactPoints,
      localDataCenter: config.localDataCenter,
      credentials: config.credentials,
      sslOptions: config.tls === undefined ? undefined : nodeTlsOptions(config.tls),
      socketOptions: { connectTimeout: config.connectTimeoutMs, readTimeout: 20_000 },
      policies: {
        reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(
          500,
          10_000,
          false,
        ),
      },
      // `undefined` parameters are sent as "unset": a missing attribute writes no tombstone.
      encoding: { useUndefinedAsUnset: true },
    });
    this.#driver.on("log", (level: string, className: string, message: string) => {
      if (level === "error" || level === "warning") {
        logger.debug(`cassandra-driver ${className}: ${message}`);
      }
    });
  }

  /** Connects, or throws a ConnectionError naming the contact points within seconds. */
  async connect(): Promise<this> {
    if (this.#connected) return this;
    try {
      await withTimeout(
        this.#driver.connect(),
        this.config.connectTimeoutMs + 10_000,
        "connecting",
      );
      this.#connected = true;
    } catch (error) {
      await this.#driver.shutdown().catch(() => {});
      throw cassandraConnectionError(this.config, error);
    }
    return this;
  }

  /** Runs one statement with bound parameters (prepared unless told otherwise). */
  async execute(
    query: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<ResultSet> {
    if (!this.#connected) await this.connect();
    return this.#driver.execute(query, params as unknown[], { prepare: true, ...options });
  }

  /** Runs statements as one batch (prepared; `logged: false` for an UNLOGGED batch). */
  async batch(
    queries: readonly { query: string; params: readonly unknown[] }[],
    options: QueryOptions & { logged?: boolean } = {},
  ): Promise<void> {
    if (!this.#connected) await this.connect();
    // The driver only reads the items; its declarations ask for mutable arrays.
    await this.#driver.batch(
      queries as { query: string; params: unknown[] }[],
      { prepare: true, ...options },
    );
  }

  /**
   * Runs a statement a user typed, unprepared, with `keyspace` as the session's keyspace as after
   * USE in cqlsh. A keyspace that does not exist yet leaves the session without one, so CREATE
   * KEYSPACE still works.
   */
  async executeTyped(
    statement: string,
    keyspace: string,
    options: QueryOptions = {},
  ): Promise<ResultSet> {
    if (!this.#connected) await this.connect();
    await this.#driver.execute(`USE ${keyspace}`).catch(() => {});
    return await this.#driver.execute(statement, [], { ...options, prepare: false });
  }

  /** Polls until every node reports the same schema version; false after `limitMs`. */
  async awaitSchemaAgreement(limitMs = 30_000): Promise<boolean> {
    await this.connect();
    // Public in the driver's JavaScript, missing from its type declarations.
    const metadata = this.#driver.metadata as unknown as {
      checkSchemaAgreement(): Promise<boolean>;
    };
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      if (await metadata.checkSchemaAgreement()) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return false;
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await this.#driver.shutdown();
    this.#connected = false;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Turns a driver failure into an error that names the contact points and what to check. */
export function cassandraConnectionError(config: CassandraConfig, error: unknown): ConnectionError {
  if (error instanceof ConnectionError) return error;
  const detail = describeCassandraError(error);
  const tls = tlsTrouble("cassandra", config.tls, detail);
  if (tls !== undefined) {
    return new ConnectionError(
      "Cassandra",
      config.contactPoints,
      tls.detail,
      tls.hint,
      { cause: error },
      "reached",
    );
  }
  if (/authentication|credentials|password|username/i.test(detail)) {
    return new ConnectionError(
      "Cassandra",
      config.contactPoints,
      `the node answered, but refused the credentials: ${detail}`,
      config.credentials
        ? "Check --cassandra-username and the password (CASSANDRA_USERNAME, " +
          "CASSANDRA_PASSWORD_FILE)."
        : "The node requires authentication: give --cassandra-username and " +
          "--cassandra-password-file (CASSANDRA_USERNAME, CASSANDRA_PASSWORD_FILE).",
      { cause: error },
      "reached",
    );
  }
  return new ConnectionError(
    "Cassandra",
    config.contactPoints,
    detail,
    "Check that Cassandra is listening there (local services: 'deno task up'; status: " +
      "'deno task status'), that --local-dc matches its data center, or point " +
      "--contact-points / CASSANDRA_CONTACT_POINTS at your cluster.",
    { cause: error },
  );
}

/** Reads and writes through prepared statements: what the stream's sink uses. */
export type CqlSession = Pick<CassandraClient, "connect" | "execute" | "batch">;

/** Creates and checks the schema: what init-schema uses. */
export type CqlSchemaSession = Pick<
  CassandraClient,
  "connect" | "execute" | "awaitSchemaAgreement"
>;

/** Reads, including statements users type: what query uses. */
export type CqlReader = Pick<CassandraClient, "connect" | "execute" | "executeTyped">;

import cassandra from "cassandra-driver";
import type { CassandraConfig } from "./connection.ts";
import { ConnectionError, withTimeout } from "./errors.ts";
import type { Logger } from "./log.ts";
import { describeCassandraError } from "./retry.ts";

/** One row of a result, as the driver returns it. */
export type Row = cassandra.types.Row;

/** A cassandra-driver client that connects with bounded time and names what failed. */
export class CassandraClient {
  readonly driver: cassandra.Client;
  #connected = false;

  constructor(readonly config: CassandraConfig, readonly logger: Logger) {
    this.driver = new cassandra.Client({
      contactPoints: config.contactPoints,
      localDataCenter: config.localDataCenter,
      credentials: config.credentials,
      sslOptions: config.tls ? { rejectUnauthorized: true } : undefined,
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
    this.driver.on("log", (level: string, className: string, message: string) => {
      if (level === "error" || level === "warning") {
        logger.debug(`cassandra-driver ${className}: ${message}`);
      }
    });
  }

  /** Connects, or throws a ConnectionError naming the contact points within seconds. */
  async connect(): Promise<this> {
    if (this.#connected) return this;
    try {
      await withTimeout(this.driver.connect(), this.config.connectTimeoutMs + 10_000, "connecting");
      this.#connected = true;
    } catch (error) {
      await this.driver.shutdown().catch(() => {});
      throw cassandraConnectionError(this.config, error);
    }
    return this;
  }

  /** Runs one statement with bound parameters (prepared unless told otherwise). */
  async execute(
    query: string,
    params: unknown[] = [],
    options: cassandra.QueryOptions = {},
  ): Promise<cassandra.types.ResultSet> {
    await this.connect();
    return this.driver.execute(query, params, { prepare: true, ...options });
  }

  /** Polls until every node reports the same schema version; false after `limitMs`. */
  async awaitSchemaAgreement(limitMs = 30_000): Promise<boolean> {
    await this.connect();
    // Public in the driver's JavaScript, missing from its type declarations.
    const metadata = this.driver.metadata as unknown as {
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
    await this.driver.shutdown();
    this.#connected = false;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Turns a driver failure into an error that names the contact points and what to check. */
export function cassandraConnectionError(config: CassandraConfig, error: unknown): ConnectionError {
  if (error instanceof ConnectionError) return error;
  return new ConnectionError(
    "Cassandra",
    config.contactPoints,
    describeCassandraError(error),
    "Check that Cassandra is listening there (local services: 'deno task up'; status: " +
      "'deno task status'), that --local-dc matches its data center, or point " +
      "--contact-points / CASSANDRA_CONTACT_POINTS at your cluster.",
    { cause: error },
  );
}

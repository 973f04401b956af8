import {
  booleanFlag,
  choiceFlag,
  type Env,
  type FlagSpec,
  optionalFlag,
  type ParsedFlags,
  stringFlag,
} from "./args.ts";
import { UsageError } from "./errors.ts";

/** SASL mechanisms kafkajs supports out of the box. */
export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;

/** How to reach Kafka. */
export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  tls: boolean;
  sasl?: { mechanism: typeof SASL_MECHANISMS[number]; username: string; password: string };
  /** Upper bound on how long a first connection may take before the command gives up. */
  connectTimeoutMs: number;
}

/** How to reach Cassandra. */
export interface CassandraConfig {
  contactPoints: string[];
  localDataCenter: string;
  tls: boolean;
  credentials?: { username: string; password: string };
  connectTimeoutMs: number;
}

/** Connection settings every subcommand shares. */
export interface ConnectionOptions {
  kafka: KafkaConfig;
  cassandra: CassandraConfig;
}

/** Flags for the connection settings, merged into each subcommand's flag table. */
export const CONNECTION_FLAGS: FlagSpec = {
  brokers: { type: "string" },
  "contact-points": { type: "string" },
  "local-dc": { type: "string" },
  "kafka-tls": { type: "boolean" },
  "kafka-sasl-mechanism": { type: "string" },
  "kafka-username": { type: "string" },
  "kafka-password": { type: "string" },
  "cassandra-tls": { type: "boolean" },
  "cassandra-username": { type: "string" },
  "cassandra-password": { type: "string" },
};

/** Help text for the connection flags, shared by every subcommand's help. */
export const CONNECTION_HELP = `Connection (flag, else environment variable, else default):
  --brokers LIST               Kafka bootstrap brokers, comma-separated
                               [KAFKA_BROKERS, 127.0.0.1:9092]
  --contact-points LIST        Cassandra contact points, host:port, comma-separated
                               [CASSANDRA_CONTACT_POINTS, 127.0.0.1:9042]
  --local-dc NAME              Cassandra local data center [CASSANDRA_LOCAL_DC, datacenter1]
  --kafka-tls                  TLS to the brokers [KAFKA_TLS]
  --kafka-sasl-mechanism M     plain, scram-sha-256 or scram-sha-512 [KAFKA_SASL_MECHANISM, plain]
  --kafka-username U           SASL user; with a password, turns SASL on [KAFKA_USERNAME]
  --kafka-password P           SASL password [KAFKA_PASSWORD]
  --cassandra-tls              TLS to Cassandra [CASSANDRA_TLS]
  --cassandra-username U       Cassandra user [CASSANDRA_USERNAME]
  --cassandra-password P       Cassandra password [CASSANDRA_PASSWORD]
  Passwords are never printed. Prefer the environment variables over flags for them.`;

/** Builds the connection settings from parsed flags and the environment. */
export function connectionOptions(values: ParsedFlags["values"], env: Env): ConnectionOptions {
  const brokers = listOf(
    stringFlag(values, "brokers", env, "KAFKA_BROKERS", "127.0.0.1:9092"),
    "brokers",
    9092,
  );
  const contactPoints = listOf(
    stringFlag(values, "contact-points", env, "CASSANDRA_CONTACT_POINTS", "127.0.0.1:9042"),
    "contact-points",
    9042,
  );
  const kafkaUser = optionalFlag(values, "kafka-username", env, "KAFKA_USERNAME");
  const kafkaPassword = optionalFlag(values, "kafka-password", env, "KAFKA_PASSWORD");
  if ((kafkaUser === undefined) !== (kafkaPassword === undefined)) {
    throw new UsageError("Kafka SASL needs both a username and a password");
  }
  const cassandraUser = optionalFlag(values, "cassandra-username", env, "CASSANDRA_USERNAME");
  const cassandraPassword = optionalFlag(values, "cassandra-password", env, "CASSANDRA_PASSWORD");
  if ((cassandraUser === undefined) !== (cassandraPassword === undefined)) {
    throw new UsageError("Cassandra authentication needs both a username and a password");
  }
  const mechanism = choiceFlag(
    "kafka-sasl-mechanism",
    stringFlag(values, "kafka-sasl-mechanism", env, "KAFKA_SASL_MECHANISM", "plain"),
    SASL_MECHANISMS,
  );
  return {
    kafka: {
      brokers,
      clientId: "reviews",
      tls: booleanFlag(values, "kafka-tls", env, "KAFKA_TLS"),
      sasl: kafkaUser === undefined || kafkaPassword === undefined
        ? undefined
        : { mechanism, username: kafkaUser, password: kafkaPassword },
      connectTimeoutMs: 5_000,
    },
    cassandra: {
      contactPoints,
      localDataCenter: stringFlag(values, "local-dc", env, "CASSANDRA_LOCAL_DC", "datacenter1"),
      tls: booleanFlag(values, "cassandra-tls", env, "CASSANDRA_TLS"),
      credentials: cassandraUser === undefined || cassandraPassword === undefined
        ? undefined
        : { username: cassandraUser, password: cassandraPassword },
      connectTimeoutMs: 5_000,
    },
  };
}

/** Splits `a:1,b` into `["a:1", "b:<port>"]`, rejecting empty entries and bad ports. */
function listOf(raw: string, flag: string, defaultPort: number): string[] {
  const entries = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) throw new UsageError(`Flag --${flag} needs at least one host`);
  return entries.map((entry) => {
    const match = entry.match(/^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/);
    const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
    if (!match || port < 1 || port > 65535) {
      throw new UsageError(`Flag --${flag}: '${entry}' is not host or host:port`);
    }
    return `${match[1]}:${port}`;
  });
}

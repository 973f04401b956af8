/** The connection flags every command takes, and the Kafka and Cassandra settings they make. */
import type { CassandraConfig } from "../cassandra/config.ts";
import { UsageError } from "../core/errors.ts";
import { choice, hostList, nonEmpty, text } from "../core/parse.ts";
import { type KafkaConfig, SASL_MECHANISMS } from "../kafka/config.ts";
import { type Env, flagHelp, type FlagValues, option, readFlags, toggle } from "./flags.ts";

/** Connection settings every subcommand shares. */
export interface ConnectionOptions {
  kafka: KafkaConfig;
  cassandra: CassandraConfig;
}

/** The connection flags, merged into each subcommand's table. */
export const CONNECTION_FLAGS = {
  brokers: option({
    arg: "LIST",
    help: "Kafka bootstrap brokers, comma-separated",
    env: "KAFKA_BROKERS",
    default: "127.0.0.1:9092",
    parse: hostList(9092),
  }),
  "contact-points": option({
    arg: "LIST",
    help: "Cassandra contact points, host:port, comma-separated",
    env: "CASSANDRA_CONTACT_POINTS",
    default: "127.0.0.1:9042",
    parse: hostList(9042),
  }),
  "local-dc": option({
    arg: "NAME",
    help: "Cassandra local data center",
    env: "CASSANDRA_LOCAL_DC",
    default: "datacenter1",
    parse: nonEmpty(),
  }),
  "kafka-tls": toggle({ help: "TLS to the brokers", env: "KAFKA_TLS" }),
  "kafka-sasl-mechanism": option({
    arg: "M",
    help: SASL_MECHANISMS.join(", "),
    env: "KAFKA_SASL_MECHANISM",
    default: "plain",
    parse: choice(SASL_MECHANISMS),
  }),
  "kafka-username": option({
    arg: "U",
    help: "SASL user; with a password, turns SASL on",
    env: "KAFKA_USERNAME",
    parse: nonEmpty(),
  }),
  "kafka-password": option({
    arg: "P",
    help: "SASL password",
    env: "KAFKA_PASSWORD",
    parse: text,
  }),
  "cassandra-tls": toggle({ help: "TLS to Cassandra", env: "CASSANDRA_TLS" }),
  "cassandra-username": option({
    arg: "U",
    help: "Cassandra user",
    env: "CASSANDRA_USERNAME",
    parse: nonEmpty(),
  }),
  "cassandra-password": option({
    arg: "P",
    help: "Cassandra password",
    env: "CASSANDRA_PASSWORD",
    parse: text,
  }),
};

/** Help text for the connection flags, shared by every subcommand's help. */
export const CONNECTION_HELP = flagHelp(
  "Connection (flag, else environment variable, else default)",
  CONNECTION_FLAGS,
  "Passwords are never printed. Prefer the environment variables over flags for them.",
);

/** Builds the connection settings from the connection flags' values. */
export function connectionOptions(values: FlagValues<typeof CONNECTION_FLAGS>): ConnectionOptions {
  const kafkaUser = values["kafka-username"];
  const kafkaPassword = values["kafka-password"];
  if ((kafkaUser === undefined) !== (kafkaPassword === undefined)) {
    throw new UsageError("Kafka SASL needs both a username and a password");
  }
  const cassandraUser = values["cassandra-username"];
  const cassandraPassword = values["cassandra-password"];
  if ((cassandraUser === undefined) !== (cassandraPassword === undefined)) {
    throw new UsageError("Cassandra authentication needs both a username and a password");
  }
  return {
    kafka: {
      brokers: values.brokers,
      clientId: "reviews",
      tls: values["kafka-tls"],
      sasl: kafkaUser === undefined || kafkaPassword === undefined ? undefined : {
        mechanism: values["kafka-sasl-mechanism"],
        username: kafkaUser,
        password: kafkaPassword,
      },
      connectTimeoutMs: 5_000,
    },
    cassandra: {
      contactPoints: values["contact-points"],
      localDataCenter: values["local-dc"],
      tls: values["cassandra-tls"],
      credentials: cassandraUser === undefined || cassandraPassword === undefined
        ? undefined
        : { username: cassandraUser, password: cassandraPassword },
      connectTimeoutMs: 5_000,
    },
  };
}

/** The connection settings from connection flags and the environment (scripts, tests, bench). */
export function readConnection(args: readonly string[], env: Env): ConnectionOptions {
  return connectionOptions(readFlags("reviews", CONNECTION_FLAGS, args, env).values);
}

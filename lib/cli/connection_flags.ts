/** The connection flags every command takes, and the Kafka and Cassandra settings they make. */
import type { CassandraConfig } from "../cassandra/config.ts";
import { UsageError } from "../core/errors.ts";
import { choice, hostList, Invalid, nonEmpty, type Parser, text } from "../core/parse.ts";
import type { TlsConfig } from "../core/tls.ts";
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
  "kafka-tls": toggle({
    help: "TLS to the brokers (on by itself with --kafka-ca or --kafka-cert)",
    env: "KAFKA_TLS",
  }),
  "kafka-ca": option({
    arg: "FILE",
    help: "PEM file of the CA to trust for the brokers, instead of the system's",
    env: "KAFKA_CA_FILE",
    parse: pemFile("CERTIFICATE"),
  }),
  "kafka-cert": option({
    arg: "FILE",
    help: "PEM client certificate, for brokers that ask for one (mTLS)",
    env: "KAFKA_CERT_FILE",
    parse: pemFile("CERTIFICATE"),
  }),
  "kafka-key": option({
    arg: "FILE",
    help: "PEM private key of --kafka-cert",
    env: "KAFKA_KEY_FILE",
    parse: pemFile("PRIVATE KEY"),
  }),
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
  "kafka-password-file": option({
    arg: "FILE",
    help: "read the SASL password from this file instead",
    env: "KAFKA_PASSWORD_FILE",
    parse: passwordFile,
  }),
  "cassandra-tls": toggle({
    help: "TLS to Cassandra (on by itself with --cassandra-ca or --cassandra-cert)",
    env: "CASSANDRA_TLS",
  }),
  "cassandra-ca": option({
    arg: "FILE",
    help: "PEM file of the CA to trust for Cassandra, instead of the system's",
    env: "CASSANDRA_CA_FILE",
    parse: pemFile("CERTIFICATE"),
  }),
  "cassandra-cert": option({
    arg: "FILE",
    help: "PEM client certificate, for nodes that ask for one (mTLS)",
    env: "CASSANDRA_CERT_FILE",
    parse: pemFile("CERTIFICATE"),
  }),
  "cassandra-key": option({
    arg: "FILE",
    help: "PEM private key of --cassandra-cert",
    env: "CASSANDRA_KEY_FILE",
    parse: pemFile("PRIVATE KEY"),
  }),
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
  "cassandra-password-file": option({
    arg: "FILE",
    help: "read the Cassandra password from this file instead",
    env: "CASSANDRA_PASSWORD_FILE",
    parse: passwordFile,
  }),
  "insecure-skip-hostname-verification": toggle({
    help: "UNSAFE: accept a TLS certificate issued to another host name\n" +
      "(the chain is still verified); for test setups only",
    env: "REVIEWS_INSECURE_SKIP_HOSTNAME_VERIFICATION",
  }),
};

/** Reads a password from a file (its first line; a trailing newline is not part of it). */
export function passwordFile(path: string): string | Invalid {
  const content = readFileText(path);
  if (content instanceof Invalid) return content;
  const password = content.split(/\r?\n/)[0];
  return password === "" ? new Invalid(`'${path}' is empty`) : password;
}

/** Reads a PEM file, refusing one without a block of the `kind` expected. */
function pemFile(kind: "CERTIFICATE" | "PRIVATE KEY"): Parser<string> {
  return (path) => {
    const pem = readFileText(path);
    if (pem instanceof Invalid) return pem;
    if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(pem)) {
      return new Invalid(`'${path}' holds no PEM ${kind.toLowerCase()}`);
    }
    return pem;
  };
}

function readFileText(path: string): string | Invalid {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (error as Error).message;
    return new Invalid(`cannot read '${path}': ${reason}`);
  }
}

/** The one password given, by value or by file. */
function password(
  service: string,
  byValue: string | undefined,
  byFile: string | undefined,
): string | undefined {
  if (byValue !== undefined && byFile !== undefined) {
    throw new UsageError(
      `Give the ${service} password once: by value or by file, not both`,
      "Prefer the file (--*-password-file): it stays out of the shell history and `ps`.",
    );
  }
  return byValue ?? byFile;
}

/** TLS settings when any TLS flag asks for them. */
function tlsConfig(
  service: string,
  on: boolean,
  ca: string | undefined,
  cert: string | undefined,
  key: string | undefined,
  verifyHostname: boolean,
): TlsConfig | undefined {
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(
      `A ${service} client certificate needs both --${service.toLowerCase()}-cert and ` +
        `--${service.toLowerCase()}-key`,
    );
  }
  if (!on && ca === undefined && cert === undefined) return undefined;
  return { ca, cert, key, verifyHostname };
}

/** Help text for the connection flags, shared by every subcommand's help. */
export const CONNECTION_HELP = flagHelp(
  "Connection (flag, else environment variable, else default)",
  CONNECTION_FLAGS,
  "Passwords are never printed. Prefer the password files (or the environment) over\n" +
    "--*-password, which the shell history and `ps` would show.",
);

/** Builds the connection settings from the connection flags' values. */
export function connectionOptions(values: FlagValues<typeof CONNECTION_FLAGS>): ConnectionOptions {
  const kafkaUser = values["kafka-username"];
  const kafkaPassword = password("Kafka", values["kafka-password"], values["kafka-password-file"]);
  if ((kafkaUser === undefined) !== (kafkaPassword === undefined)) {
    throw new UsageError("Kafka SASL needs both a username and a password");
  }
  const cassandraUser = values["cassandra-username"];
  const cassandraPassword = password(
    "Cassandra",
    values["cassandra-password"],
    values["cassandra-password-file"],
  );
  const verifyHostname = !values["insecure-skip-hostname-verification"];
  if ((cassandraUser === undefined) !== (cassandraPassword === undefined)) {
    throw new UsageError("Cassandra authentication needs both a username and a password");
  }
  return {
    kafka: {
      brokers: values.brokers,
      clientId: "reviews",
      tls: tlsConfig(
        "Kafka",
        values["kafka-tls"],
        values["kafka-ca"],
        values["kafka-cert"],
        values["kafka-key"],
        verifyHostname,
      ),
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
      tls: tlsConfig(
        "Cassandra",
        values["cassandra-tls"],
        values["cassandra-ca"],
        values["cassandra-cert"],
        values["cassandra-key"],
        verifyHostname,
      ),
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

/**
 * The private CA, certificates, keystores and passwords of the secure local services, made on
 * the spot with openssl and the JDK's keytool and kept under `.services/secure/` (never
 * committed; files readable by their owner only). Made once, reused by later starts.
 */
import { passwordFile } from "../lib/cli/connection_flags.ts";
import { mustParse } from "../lib/core/parse.ts";

/** Where each secret lives. Passwords are in files, never on a command line. */
export interface Secrets {
  dir: string;
  /** The CA certificate clients trust. */
  caFile: string;
  /** A client certificate and key the CA signed (mutual TLS). */
  clientCertFile: string;
  clientKeyFile: string;
  /** The server's key and certificate chain (PKCS12), and a truststore holding the CA. */
  serverKeystore: string;
  truststore: string;
  storePasswordFile: string;
  /** One password file per user. */
  passwordFiles: {
    kafkaAdmin: string;
    kafkaPipeline: string;
    cassandraAdmin: string;
    cassandraPipeline: string;
  };
}

/** The secure Kafka's client port (SASL_SSL; the controller's SSL port is the next one). */
export const SECURE_KAFKA_PORT = 9094;
/** The secure Cassandra's native (TLS) port. */
export const SECURE_CASSANDRA_PORT = 9142;

/** The users the secure services create. */
export const SECURE_USERS = {
  kafkaAdmin: "admin",
  kafkaPipeline: "pipeline",
  cassandraAdmin: "reviews_admin",
  cassandraPipeline: "pipeline",
} as const;

/** The layout of the secrets in `dir`. */
export function secretsIn(dir: string): Secrets {
  return {
    dir,
    caFile: `${dir}/ca.pem`,
    clientCertFile: `${dir}/client.pem`,
    clientKeyFile: `${dir}/client.key`,
    serverKeystore: `${dir}/server.p12`,
    truststore: `${dir}/truststore.p12`,
    storePasswordFile: `${dir}/store.password`,
    passwordFiles: {
      kafkaAdmin: `${dir}/kafka-admin.password`,
      kafkaPipeline: `${dir}/kafka-pipeline.password`,
      cassandraAdmin: `${dir}/cassandra-admin.password`,
      cassandraPipeline: `${dir}/cassandra-pipeline.password`,
    },
  };
}

/** The environment that points ./reviews at the secure services as the pipeline or the admin. */
export function secureEnvironment(
  secrets: Secrets,
  who: "pipeline" | "admin",
): [string, string][] {
  const files = secrets.passwordFiles;
  return [
    ["KAFKA_BROKERS", `127.0.0.1:${SECURE_KAFKA_PORT}`],
    ["KAFKA_CA_FILE", secrets.caFile],
    ["KAFKA_CERT_FILE", secrets.clientCertFile],
    ["KAFKA_KEY_FILE", secrets.clientKeyFile],
    ["KAFKA_SASL_MECHANISM", "scram-sha-512"],
    ["KAFKA_USERNAME", who === "admin" ? SECURE_USERS.kafkaAdmin : SECURE_USERS.kafkaPipeline],
    ["KAFKA_PASSWORD_FILE", who === "admin" ? files.kafkaAdmin : files.kafkaPipeline],
    ["CASSANDRA_CONTACT_POINTS", `127.0.0.1:${SECURE_CASSANDRA_PORT}`],
    ["CASSANDRA_CA_FILE", secrets.caFile],
    ["CASSANDRA_CERT_FILE", secrets.clientCertFile],
    ["CASSANDRA_KEY_FILE", secrets.clientKeyFile],
    [
      "CASSANDRA_USERNAME",
      who === "admin" ? SECURE_USERS.cassandraAdmin : SECURE_USERS.cassandraPipeline,
    ],
    ["CASSANDRA_PASSWORD_FILE", who === "admin" ? files.cassandraAdmin : files.cassandraPipeline],
  ];
}

/** A random password: 24 characters of base64url. */
export function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/** Reads a password file the way ./reviews reads --*-password-file. */
export function readPassword(file: string): Promise<string> {
  return Promise.resolve(mustParse(passwordFile, file));
}

const making = new Map<string, Promise<Secrets>>();

/**
 * Makes the CA, the server and client certificates, the stores and the passwords, once; both
 * secure services ask at the same time, and share the one making.
 */
export function ensureSecrets(dir: string): Promise<Secrets> {
  let secrets = making.get(dir);
  if (secrets === undefined) {
    secrets = makeSecrets(dir);
    making.set(dir, secrets);
  }
  return secrets;
}

async function makeSecrets(dir: string): Promise<Secrets> {
  const secrets = secretsIn(dir);
  if (await exists(`${dir}/.complete`)) return secrets;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const write = (file: string, text: string) => Deno.writeTextFile(file, text, { mode: 0o600 });
  for (const file of [secrets.storePasswordFile, ...Object.values(secrets.passwordFiles)]) {
    await write(file, randomPassword() + "\n");
  }
  const days = "825";
  // The CA.
  await tool("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    secrets.caFile,
    "-days",
    days,
    "-subj",
    "/CN=reviews local CA",
  ]);
  // The server: one certificate for both services, naming localhost and 127.0.0.1.
  await issue(dir, "server", "/CN=localhost", [
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "extendedKeyUsage=serverAuth,clientAuth",
  ], days);
  // The client certificate for mutual TLS.
  await issue(dir, "client", "/CN=reviews-client", ["extendedKeyUsage=clientAuth"], days);
  await tool("openssl", [
    "pkcs12",
    "-export",
    "-in",
    `${dir}/server.pem`,
    "-inkey",
    `${dir}/server.key`,
    "-certfile",
    secrets.caFile,
    "-name",
    "server",
    "-out",
    secrets.serverKeystore,
    "-passout",
    `file:${secrets.storePasswordFile}`,
  ]);
  // Java trusts a PKCS12 certificate only with its own attribute, which keytool writes.
  await tool("keytool", [
    "-importcert",
    "-noprompt",
    "-alias",
    "reviews-ca",
    "-file",
    secrets.caFile,
    "-keystore",
    secrets.truststore,
    "-storetype",
    "PKCS12",
    "-storepass:file",
    secrets.storePasswordFile,
  ]);
  for await (const entry of Deno.readDir(dir)) await Deno.chmod(`${dir}/${entry.name}`, 0o600);
  await write(`${dir}/.complete`, "");
  return secrets;
}

/** A key and a certificate signed by the CA, with the given extensions. */
async function issue(
  dir: string,
  name: string,
  subject: string,
  extensions: string[],
  days: string,
): Promise<void> {
  await tool("openssl", [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/${name}.key`,
    "-out",
    `${dir}/${name}.csr`,
    "-subj",
    subject,
  ]);
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions.join("\n") + "\n");
  await tool("openssl", [
    "x509",
    "-req",
    "-in",
    `${dir}/${name}.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    `${dir}/${name}.pem`,
    "-days",
    days,
    "-extfile",
    `${dir}/${name}.ext`,
  ]);
}

async function tool(command: string, args: string[]): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(
      `${command} is needed to make the secure services' certificates and is not installed ` +
        `(${(error as Error).message}); Debian: apt-get install openssl openjdk-17-jre-headless`,
    );
  }
  if (!output.success) {
    const said = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    throw new Error(`'${command} ${args[0]}' failed: ${said.slice(-2000)}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

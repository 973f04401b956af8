/**
 * Local Kafka and Cassandra for development, tests and the demo: `up`, `down [--wipe]`, `status`.
 *
 * Uses compose.yaml when a Docker engine answers; otherwise runs both servers from their jars on
 * Maven Central (resolved once into a cache folder), tracked by pid files under `.services/`.
 */
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../lib/core/resources.ts";
import { CassandraClient } from "../lib/cassandra/client.ts";
import type { CassandraConfig } from "../lib/cassandra/config.ts";
import type { KafkaConfig } from "../lib/kafka/config.ts";
import { messageOf } from "../lib/core/errors.ts";
import { KafkaClient } from "../lib/kafka/client.ts";
import { type Logger, StderrLogger } from "../lib/core/log.ts";
import {
  ensureSecrets,
  readPassword,
  type Secrets,
  secretsIn,
  SECURE_CASSANDRA_PORT,
  SECURE_KAFKA_PORT,
  SECURE_USERS,
  secureEnvironment,
} from "./secrets.ts";

const STATE = `${PROJECT_ROOT}/.services`;
/** The secure services' CA, certificates, keystores and passwords. */
const SECRETS = `${STATE}/secure`;
const CACHE = Deno.env.get("REVIEWS_CACHE_DIR") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`}/reviews`;
const DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

const KAFKA_CONFIG: KafkaConfig = {
  brokers: ["127.0.0.1:9092"],
  clientId: "reviews-services",
  connectTimeoutMs: 2_000,
};
const CASSANDRA_CONFIG: CassandraConfig = {
  contactPoints: ["127.0.0.1:9042"],
  localDataCenter: "datacenter1",
  connectTimeoutMs: 2_000,
};

interface Service {
  /** kafka or cassandra: what `up kafka` selects and where its jars come from. */
  kind: "kafka" | "cassandra";
  /** kafka, kafka-secure or kafka-2 (a cluster node): names its state folder, marks its process. */
  name: string;
  /** The loopback address it listens on (cluster nodes: 127.0.0.N). */
  host: string;
  title: string;
  version: string;
  /** The Maven pom that resolves its jars, and the properties it is resolved with. */
  pom: string;
  pomProperties?: Record<string, string>;
  port: number;
  /** How long a start may take before `up` gives up, in seconds. */
  startLimitS: number;
  prepare(lib: string, state: string): Promise<string[]>;
  ready(): Promise<string>;
}

/** Kafka 3.9 by default; `--kafka-version` or REVIEWS_KAFKA_VERSION picks another 3.x or 4.x. */
export const DEFAULT_KAFKA_VERSION = "3.9.2";

/** How the secure services' admins connect (for readiness and setup). */
async function secureKafkaConfig(secrets: Secrets): Promise<KafkaConfig> {
  return {
    ...KAFKA_CONFIG,
    brokers: [`127.0.0.1:${SECURE_KAFKA_PORT}`],
    tls: await clientTls(secrets),
    sasl: {
      mechanism: "scram-sha-512",
      username: SECURE_USERS.kafkaAdmin,
      password: await readPassword(secrets.passwordFiles.kafkaAdmin),
    },
  };
}

async function clientTls(secrets: Secrets) {
  return {
    ca: await Deno.readTextFile(secrets.caFile),
    cert: await Deno.readTextFile(secrets.clientCertFile),
    key: await Deno.readTextFile(secrets.clientKeyFile),
    verifyHostname: true,
  };
}

/** A node of the local cluster: its number (1 to count) and how many there are. */
export interface ClusterNode {
  id: number;
  count: number;
}

/** Node N of the cluster listens on 127.0.0.N. */
const nodeHost = (node?: ClusterNode) => node === undefined ? "127.0.0.1" : `127.0.0.${node.id}`;

/** The Cassandra token of node `id` of `count`: the ring split evenly (Murmur3 range). */
export function ringToken(id: number, count: number): string {
  const span = 2n ** 64n;
  return String(-(2n ** 63n) + (span / BigInt(count)) * BigInt(id - 1));
}

/**
 * The Kafka service of one release, from its Maven Central jars; `secure`: SASL_SSL only;
 * `node`: one node of the local cluster (controller and broker, on 127.0.0.N).
 */
function kafkaService(version: string, secure = false, node?: ClusterNode): Service {
  const major = Number(version.split(".")[0]);
  const logging = major >= 4
    ? `-Dlog4j2.configurationFile=${PROJECT_ROOT}/services/kafka/log4j2.properties`
    : `-Dlog4j.configuration=file:${PROJECT_ROOT}/services/kafka/log4j.properties`;
  return {
    kind: "kafka",
    name: node ? `kafka-${node.id}` : secure ? "kafka-secure" : "kafka",
    host: nodeHost(node),
    title: node ? `Kafka node ${node.id}` : secure ? "Kafka (secure)" : "Kafka",
    version,
    // Kafka 4 logs through log4j2 (3.x through log4j 1, here reload4j): another pom and config.
    pom: `${PROJECT_ROOT}/services/kafka/${major >= 4 ? "pom-4.xml" : "pom.xml"}`,
    pomProperties: { "kafka.version": version },
    port: secure ? SECURE_KAFKA_PORT : 9092,
    startLimitS: 120,
    async prepare(lib, state) {
      await checkFormattedBy(state, version);
      const secrets = secure ? await ensureSecrets(SECRETS) : undefined;
      const template = node
        ? "server-cluster.properties.template"
        : secure
        ? "server-secure.properties.template"
        : "server.properties.template";
      await render(
        `${PROJECT_ROOT}/services/kafka/${template}`,
        `${state}/server.properties`,
        {
          STATE: state,
          ...(node === undefined ? {} : {
            NODE_ID: String(node.id),
            HOST: nodeHost(node),
            NODES: String(node.count),
            MIN_ISR: String(node.count >= 3 ? 2 : 1),
            VOTERS: Array.from(
              { length: node.count },
              (_, i) => `${i + 1}@${nodeHost({ id: i + 1, count: node.count })}:9093`,
            ).join(","),
          }),
          ...(secrets === undefined ? {} : {
            SECRETS: secrets.dir,
            STORE_PASSWORD: await readPassword(secrets.storePasswordFile),
            ADMIN_PASSWORD: await readPassword(secrets.passwordFiles.kafkaAdmin),
          }),
        },
      );
      await Deno.chmod(`${state}/server.properties`, 0o600);
      // The SCRAM users exist from the first start: KRaft stores them in its metadata.
      const scram = secrets === undefined ? [] : [
        ["kafkaAdmin", SECURE_USERS.kafkaAdmin],
        ["kafkaPipeline", SECURE_USERS.kafkaPipeline],
      ] as const;
      const scramArgs: string[] = [];
      for (const [key, user] of scram) {
        const password = await readPassword(secrets!.passwordFiles[key]);
        scramArgs.push("--add-scram", `SCRAM-SHA-512=[name=${user},password=${password}]`);
      }
      const classpath = `${lib}/*`;
      // The nodes of a cluster share one cluster id.
      const idFile = node ? `${STATE}/kafka-cluster-id` : `${state}/cluster-id`;
      const clusterId = await storedClusterId(idFile);
      await run("java", [
        "-cp",
        classpath,
        logging,
        "kafka.tools.StorageTool",
        "format",
        "--cluster-id",
        clusterId.trim(),
        "--config",
        `${state}/server.properties`,
        "--ignore-formatted",
        ...scramArgs,
      ], `${state}/logs/format.log`);
      await Deno.writeTextFile(`${state}/version`, version);
      return [
        "-Xms256m",
        node ? "-Xmx384m" : "-Xmx512m",
        "-XX:+UseG1GC",
        `-Dreviews.service=${node ? `kafka-${node.id}` : secure ? "kafka-secure" : "kafka"}`,
        logging,
        `-Dkafka.logs.dir=${state}/logs`,
        "-cp",
        classpath,
        "kafka.Kafka",
        `${state}/server.properties`,
      ];
    },
    async ready() {
      const config = secure
        ? await secureKafkaConfig(secretsIn(SECRETS))
        : { ...KAFKA_CONFIG, brokers: [`${nodeHost(node)}:9092`] };
      const client = new KafkaClient(config, quietLogger);
      try {
        const cluster = await client.ping();
        return `${cluster.brokers} broker${
          cluster.brokers === 1 ? "" : "s"
        }, controller ${cluster.controller}`;
      } finally {
        await client.close();
      }
    },
  };
}

/**
 * Refuses to start one Kafka release on data another formatted (a newer metadata version cannot
 * be read by an older broker, and the mix is never what the user meant).
 */
async function checkFormattedBy(state: string, version: string): Promise<void> {
  const formatted = (await readText(`${state}/version`))?.trim() ??
    ((await readText(`${state}/cluster-id`)) ? DEFAULT_KAFKA_VERSION : undefined);
  if (formatted !== undefined && formatted !== version) {
    throw new Error(
      `The Kafka data in ${state} was written by Kafka ${formatted}, not ${version}; ` +
        `run 'deno task down --wipe kafka' first (it deletes the topics), or start ${formatted}`,
    );
  }
}

/** Cassandra 5.0 from its Maven Central jars; `secure`: passwords, permissions and client TLS. */
function cassandraService(secure = false, node?: ClusterNode): Service {
  const name = node ? `cassandra-${node.id}` : secure ? "cassandra-secure" : "cassandra";
  return {
    kind: "cassandra",
    name,
    host: nodeHost(node),
    title: node ? `Cassandra node ${node.id}` : secure ? "Cassandra (secure)" : "Cassandra",
    version: "5.0.9",
    pom: `${PROJECT_ROOT}/services/cassandra/pom.xml`,
    port: secure ? SECURE_CASSANDRA_PORT : 9042,
    startLimitS: 300,
    async prepare(lib, state) {
      const secrets = secure ? await ensureSecrets(SECRETS) : undefined;
      const template = node
        ? "cassandra-cluster.yaml.template"
        : secure
        ? "cassandra-secure.yaml.template"
        : "cassandra.yaml.template";
      await render(
        `${PROJECT_ROOT}/services/cassandra/${template}`,
        `${state}/cassandra.yaml`,
        {
          STATE: state,
          ...(node === undefined ? {} : {
            HOST: nodeHost(node),
            TOKEN: ringToken(node.id, node.count),
          }),
          ...(secrets === undefined ? {} : {
            SECRETS: secrets.dir,
            STORE_PASSWORD: await readPassword(secrets.storePasswordFile),
          }),
        },
      );
      await Deno.chmod(`${state}/cassandra.yaml`, 0o600);
      const jvmOptions = await cassandraJvmOptions();
      return [
        node ? "-Xms768m" : "-Xms1g",
        node ? "-Xmx768m" : "-Xmx1g",
        "-Xss512k",
        `-Dreviews.service=${name}`,
        ...jvmOptions,
        "-Dcassandra-foreground=yes",
        `-Dcassandra.config=file://${state}/cassandra.yaml`,
        `-Dcassandra.storagedir=${state}`,
        `-Dcassandra.logdir=${state}/logs`,
        `-Dlogback.configurationFile=${PROJECT_ROOT}/services/cassandra/logback.xml`,
        // One local node: no gossip to settle. The system keyspace skips fsync, which only a
        // throwaway development node can afford.
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        // Not on a cluster node: the node-loss tests SIGKILL them, and a node that lost its
        // system tables (the schema) would not come back whole.
        ...(node === undefined ? ["-Dcassandra.unsafesystem=true"] : []),
        // The default superuser is made at once rather than after 10 s (secure setup needs it).
        "-Dcassandra.superuser_setup_delay_ms=0",
        // JMX (nodetool) only on the plain node: the secure one opens no unauthenticated port.
        ...(secure ? [] : [`-Dcassandra.jmx.local.port=${7199 + ((node?.id ?? 1) - 1) * 100}`]),
        "-cp",
        `${lib}/*`,
        "org.apache.cassandra.service.CassandraDaemon",
      ];
    },
    async ready() {
      if (secure) return await secureCassandraReady(`${STATE}/${name}`, secretsIn(SECRETS));
      const client = new CassandraClient({
        ...CASSANDRA_CONFIG,
        contactPoints: [`${nodeHost(node)}:9042`],
      }, quietLogger);
      try {
        return await releaseOf(client);
      } finally {
        await client.close().catch(() => {});
      }
    },
  };
}

function cqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function releaseOf(client: CassandraClient): Promise<string> {
  const result = await client.execute("SELECT release_version FROM system.local", [], {
    prepare: false,
  });
  return `release ${result.first()?.get("release_version")}`;
}

/**
 * Answers as the admin role. On the first start, first makes the roles: as Cassandra's default
 * superuser, an admin superuser and the pipeline's login role (no permissions: init-schema
 * --grant gives them); then, as the admin, takes login and superuser away from the default one.
 */
async function secureCassandraReady(state: string, secrets: Secrets): Promise<string> {
  const config = async (username: string, passwordFile?: string): Promise<CassandraConfig> => ({
    ...CASSANDRA_CONFIG,
    contactPoints: [`127.0.0.1:${SECURE_CASSANDRA_PORT}`],
    tls: await clientTls(secrets),
    credentials: {
      username,
      password: passwordFile === undefined ? "cassandra" : await readPassword(passwordFile),
    },
  });
  const marker = `${state}/roles-made`;
  if ((await readText(marker)) === undefined) {
    const bootstrap = new CassandraClient(await config("cassandra"), quietLogger);
    try {
      for (
        const [role, file, superuser] of [
          [SECURE_USERS.cassandraAdmin, secrets.passwordFiles.cassandraAdmin, true],
          [SECURE_USERS.cassandraPipeline, secrets.passwordFiles.cassandraPipeline, false],
        ] as const
      ) {
        // Role statements take no bind markers: the password is a literal.
        await bootstrap.execute(
          `CREATE ROLE IF NOT EXISTS ${role} WITH SUPERUSER = ${superuser} AND LOGIN = true ` +
            `AND PASSWORD = ${cqlString(await readPassword(file))}`,
          [],
          { prepare: false },
        );
      }
    } finally {
      await bootstrap.close().catch(() => {});
    }
    const admin = new CassandraClient(
      await config(SECURE_USERS.cassandraAdmin, secrets.passwordFiles.cassandraAdmin),
      quietLogger,
    );
    try {
      await admin.execute(
        "ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false AND PASSWORD = " +
          cqlString(crypto.randomUUID()),
        [],
        { prepare: false },
      );
    } finally {
      await admin.close().catch(() => {});
    }
    await Deno.writeTextFile(marker, "");
  }
  const client = new CassandraClient(
    await config(SECURE_USERS.cassandraAdmin, secrets.passwordFiles.cassandraAdmin),
    quietLogger,
  );
  try {
    return await releaseOf(client);
  } finally {
    await client.close().catch(() => {});
  }
}

/** The services `up` starts, Kafka at the version asked for; `nodes` > 1: the cluster's nodes. */
function services(kafkaVersion = DEFAULT_KAFKA_VERSION, secure = false, nodes = 1): Service[] {
  if (nodes <= 1) return [kafkaService(kafkaVersion, secure), cassandraService(secure)];
  const all = Array.from({ length: nodes }, (_, i) => ({ id: i + 1, count: nodes }));
  return [
    ...all.map((node) => kafkaService(kafkaVersion, false, node)),
    ...all.map((node) => cassandraService(false, node)),
  ];
}

/** Every plain service name either topology may have started, for the mixing check. */
const PLAIN_NAMES = [
  "kafka",
  "cassandra",
  ...[1, 2, 3, 4, 5].flatMap((i) => [`kafka-${i}`, `cassandra-${i}`]),
];

const quietLogger: Logger = { info() {}, warn() {}, debug() {} };
const log = new StderrLogger();

async function main(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      wipe: { type: "boolean" },
      "kafka-version": { type: "string" },
      secure: { type: "boolean" },
      nodes: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [action, only] = positionals;
  const secure = values.secure === true;
  const kafkaVersion = values["kafka-version"] ?? Deno.env.get("REVIEWS_KAFKA_VERSION") ??
    (await runningKafkaVersion(secure ? "kafka-secure" : "kafka")) ?? DEFAULT_KAFKA_VERSION;
  if (!/^[34]\.\d+\.\d+$/.test(kafkaVersion)) {
    console.error(
      `error: Kafka version '${kafkaVersion}' is not one this launcher runs; give a 3.x or 4.x ` +
        `release as MAJOR.MINOR.PATCH, e.g. --kafka-version 4.4.0`,
    );
    return 2;
  }
  // The cluster's size: as asked, or for anything but a plain `up`, what `up` last started.
  const startedNodes = Number((await readText(`${STATE}/topology`))?.trim() ?? "1") || 1;
  const nodes = values.nodes !== undefined
    ? Number(values.nodes)
    : action !== "up" || only?.includes(":")
    ? startedNodes
    : 1;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 5) {
    console.error(`error: --nodes takes 1 to 5, got '${values.nodes}'`);
    return 2;
  }
  if (secure && nodes > 1) {
    console.error("error: the secure pair runs as one node each; drop --nodes or --secure");
    return 2;
  }
  const all = services(kafkaVersion, secure, nodes);
  if (values.help || action === undefined) {
    console.log(
      `Usage: deno task up [--nodes 3 | --secure] [--kafka-version V] [SERVICE] |
       deno task down [--secure] [--wipe] [SERVICE] | deno task status

  up       start Kafka ${DEFAULT_KAFKA_VERSION} and Cassandra ${cassandraService().version} on 127.0.0.1
           (Docker Compose when a Docker engine answers, else the Maven Central jars);
           --kafka-version (or REVIEWS_KAFKA_VERSION) runs another 3.x or 4.x release
  --secure the secure pair instead, from the jars, beside the plain one: Kafka SASL_SSL
           (SCRAM-SHA-512, ACLs) on ${SECURE_KAFKA_PORT}, Cassandra with passwords, permissions and
           TLS on ${SECURE_CASSANDRA_PORT}, client certificates required; a private CA, the users' passwords
           and the settings to paste are under .services/secure/
  --nodes N a local cluster instead: N Kafka nodes (each controller and broker) and an N-node
           Cassandra ring, node i on 127.0.0.i with the usual ports; from the jars
  down     stop what 'up' started; --wipe also deletes their data
  status   say what is running (plain, cluster and secure)
  SERVICE  kafka or cassandra, to act on one of them only; kafka:2 or cassandra:3 for one
           node of the cluster (down, then up, to simulate its loss)

Environment: REVIEWS_SERVICES=docker|jars forces a mode; REVIEWS_CACHE_DIR moves the jar cache
(default ${CACHE}).`,
    );
    return action === undefined && !values.help ? 2 : 0;
  }
  const selected = all.filter((service) =>
    only === undefined || service.kind === only || service.name === only.replace(":", "-")
  );
  if (selected.length === 0) {
    console.error(
      `error: Unknown service '${only}'; use kafka or cassandra` +
        (nodes > 1 ? `, or kafka:N / cassandra:N for N in 1..${nodes}` : ""),
    );
    return 2;
  }
  switch (action) {
    case "up": {
      if (!secure) await refuseMixing(all, nodes);
      const code = await up(selected, secure);
      if (code === 0 && !secure) {
        // What `down` and `status` act on from now on.
        await Deno.writeTextFile(`${STATE}/topology`, String(nodes));
        if (nodes > 1 && only === undefined) await checkCluster(nodes);
      }
      if (code === 0 && secure) printSecureSettings(secretsIn(SECRETS));
      return code;
    }
    case "down":
      return await down(values.wipe === true, selected, all.length);
    case "status":
      return await status([
        ...services(kafkaVersion, false, nodes),
        ...(await readText(`${STATE}/kafka-secure/cluster-id`)) !== undefined ||
            (await readText(`${STATE}/cassandra-secure/cassandra.yaml`)) !== undefined
          ? services(kafkaVersion, true)
          : [],
      ]);
    default:
      console.error(`error: Unknown action '${action}'; use up, down or status`);
      return 2;
  }
}

/**
 * The single node and the cluster share ports: one never starts while the other runs, and the
 * user is told what runs and what to do, before anything starts (never half a cluster).
 */
async function refuseMixing(wanted: Service[], nodes: number) {
  const names = new Set(wanted.map((service) => service.name));
  const others: string[] = [];
  for (const name of PLAIN_NAMES.filter((name) => !names.has(name))) {
    const pid = await servicePid(name);
    if (pid !== undefined) others.push(`${name} (pid ${pid})`);
  }
  if (others.length === 0) return;
  const running = others.some((name) => /-\d /.test(name))
    ? "the cluster's nodes"
    : "the single-node services";
  const asked = nodes > 1 ? `a ${nodes}-node cluster` : "the single-node services";
  throw new Error(
    `${capitalize(running)} run here (${others.join(", ")}), and ${asked} would take the same ` +
      `ports. Stop them first with 'deno task down', then run this again; nothing was started.`,
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Waits until every broker is in the cluster and every Cassandra node sees all its peers. */
async function checkCluster(nodes: number): Promise<void> {
  const hosts = Array.from({ length: nodes }, (_, i) => nodeHost({ id: i + 1, count: nodes }));
  const deadline = Date.now() + 120_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const kafka = new KafkaClient(
        { ...KAFKA_CONFIG, brokers: hosts.map((host) => `${host}:9092`) },
        quietLogger,
      );
      let brokers: number;
      try {
        brokers = (await kafka.ping()).brokers;
      } finally {
        await kafka.close();
      }
      const peers = await Promise.all(hosts.map(async (host) => {
        const client = new CassandraClient(
          { ...CASSANDRA_CONFIG, contactPoints: [`${host}:9042`] },
          quietLogger,
        );
        try {
          return (await client.execute("SELECT peer FROM system.peers_v2", [], { prepare: false }))
            .rowLength;
        } finally {
          await client.close().catch(() => {});
        }
      }));
      if (brokers === nodes && peers.every((count) => count === nodes - 1)) {
        log.info(
          `Cluster ready: ${nodes} Kafka brokers and a ${nodes}-node Cassandra ring on ` +
            `${hosts.join(", ")}; brokers ${hosts.map((h) => `${h}:9092`).join(",")}, contact ` +
            `points ${hosts.join(",")}`,
        );
        return;
      }
      last = `${brokers} brokers, Cassandra peers seen ${peers.join("/")}`;
    } catch (error) {
      last = messageOf(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(`The cluster did not come together within 120 s (last: ${last})`);
}

async function up(services: Service[], secure: boolean): Promise<number> {
  await Deno.mkdir(STATE, { recursive: true });
  const clusterNodes = services.some((service) => /-\d$/.test(service.name));
  const mode = secure || clusterNodes ? "jars" : await chooseMode();
  if ((secure || clusterNodes) && Deno.env.get("REVIEWS_SERVICES") === "docker") {
    throw new Error(
      "The secure pair and the cluster run from the jars only here; unset REVIEWS_SERVICES",
    );
  }
  await Deno.writeTextFile(`${STATE}/mode`, mode);
  const started = Date.now();
  if (mode === "docker") {
    log.info("Docker engine found: starting compose.yaml");
    const kafka = services.find((service) => service.kind === "kafka");
    // compose.yaml reads the image tag from KAFKA_VERSION (its own default otherwise).
    if (kafka && kafka.version !== DEFAULT_KAFKA_VERSION) {
      Deno.env.set("KAFKA_VERSION", kafka.version);
    }
    const names = services.map((service) => service.name);
    await run("docker", [
      "compose",
      "-f",
      `${PROJECT_ROOT}/compose.yaml`,
      "up",
      "-d",
      "--wait",
      ...names,
    ]);
    await Promise.all(services.map((service) => waitReady(service, undefined)));
  } else {
    await requireTools();
    // Kafka nodes start together (the metadata quorum needs a majority to answer); Cassandra
    // nodes one after the other, as a ring is grown.
    const kafkas = services.filter((service) => service.kind === "kafka");
    const cassandras = services.filter((service) => service.kind === "cassandra");
    await Promise.all([
      Promise.all(kafkas.map((service) => startJar(service))),
      (async () => {
        for (const service of cassandras) await startJar(service);
      })(),
    ]);
  }
  log.info(`Services ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

async function chooseMode(): Promise<"docker" | "jars"> {
  const forced = Deno.env.get("REVIEWS_SERVICES");
  if (forced === "docker" || forced === "jars") return forced;
  try {
    const probe = await new Deno.Command("docker", {
      args: ["info", "--format", "{{.ServerVersion}}"],
      stdout: "null",
      stderr: "null",
      signal: AbortSignal.timeout(5_000),
    }).output();
    return probe.success ? "docker" : "jars";
  } catch {
    return "jars";
  }
}

async function startJar(service: Service): Promise<void> {
  const state = `${STATE}/${service.name}`;
  const pidFile = pidFileOf(service.name);
  const running = await livePid(pidFile, service.name);
  if (running !== undefined) {
    const runningVersion = (await readText(`${state}/version`))?.trim();
    if (runningVersion !== undefined && runningVersion !== service.version) {
      throw new Error(
        `${service.title} ${runningVersion} is running here (pid ${running}), not ` +
          `${service.version}; stop it first ('deno task down ${service.kind}')`,
      );
    }
    log.info(`${service.title} is already running (pid ${running}); nothing to do`);
    await waitReady(service, running);
    return;
  }
  if (await portOpen(service.host, service.port)) {
    throw new Error(
      `Port ${service.host}:${service.port} is already taken by a process this checkout did not start; ` +
        `stop it, or use it directly and skip 'deno task up'`,
    );
  }
  const lib = await ensureJars(service);
  await Deno.mkdir(`${state}/logs`, { recursive: true });
  await Deno.mkdir(`${state}/data`, { recursive: true });
  const javaArgs = await service.prepare(lib, state);
  const logFile = `${state}/logs/server.log`;
  // setsid detaches the server from this terminal's process group, so Ctrl-C here leaves it up.
  const script = `cd "$0"; command -v setsid >/dev/null && detach=setsid || detach=; ` +
    `nohup $detach java "$@" >>"${logFile}" 2>&1 </dev/null & echo $!`;
  const spawn = await new Deno.Command("sh", {
    args: ["-c", script, state, ...javaArgs],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const pid = Number(new TextDecoder().decode(spawn.stdout).trim());
  if (!spawn.success || !Number.isInteger(pid) || pid <= 0) {
    throw new Error(`Could not start ${service.title}; see ${logFile}`);
  }
  await Deno.writeTextFile(pidFile, `${pid}\n`);
  log.info(`${service.title} ${service.version} starting (pid ${pid}); log: ${logFile}`);
  await waitReady(service, pid, logFile);
}

/** Without Docker the servers run from jars: say plainly what is missing and how to get it. */
async function requireTools(): Promise<void> {
  const missing: string[] = [];
  for (const [tool, args] of [["java", ["-version"]], ["mvn", ["-v"]]] as const) {
    let found = false;
    try {
      // A missing binary makes output() throw, not reject.
      const out = await new Deno.Command(tool, { args: [...args], stdout: "null", stderr: "null" })
        .output();
      found = out.success;
    } catch {
      found = false;
    }
    if (!found) missing.push(tool);
  }
  if (missing.length > 0) {
    throw new Error(
      `No Docker engine answers, and ${missing.join(" and ")} ${
        missing.length > 1 ? "are" : "is"
      } ` +
        "not installed: the services run from their Maven Central jars with Java 17 and Maven. " +
        "Install them (Debian/Ubuntu: apt-get install openjdk-17-jre-headless maven), or start " +
        "a Docker engine.",
    );
  }
}

/** The JVM options Cassandra runs with on Java 17 (services/cassandra/jvm17.options). */
export async function cassandraJvmOptions(): Promise<string[]> {
  return (await Deno.readTextFile(`${PROJECT_ROOT}/services/cassandra/jvm17.options`))
    .split("\n").map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
}

/** Where a service's jars are cached (the bench runs Kafka's own tools from there). */
export function jarDirectory(
  name: "kafka" | "cassandra",
  kafkaVersion = DEFAULT_KAFKA_VERSION,
): string {
  const service = services(kafkaVersion).find((candidate) => candidate.kind === name)!;
  return `${CACHE}/${service.kind}-${service.version}/lib`;
}

/** The Kafka release whose data is in .services/NAME, if any. */
async function runningKafkaVersion(name: string): Promise<string | undefined> {
  return (await readText(`${STATE}/${name}/version`))?.trim() || undefined;
}

/**
 * What a user pastes to point ./reviews at the secure services: the pipeline user's settings as
 * `export` lines (passwords by file), and the admin's for init-schema. No secret is printed.
 */
function printSecureSettings(secrets: Secrets): void {
  const lines = [
    `# The secure services: CA ${secrets.caFile}; users and password files:`,
    `#   Kafka ${SECURE_USERS.kafkaAdmin} (super user)   ${secrets.passwordFiles.kafkaAdmin}`,
    `#   Kafka ${SECURE_USERS.kafkaPipeline} (ACLs from init-schema --grant) ${secrets.passwordFiles.kafkaPipeline}`,
    `#   Cassandra ${SECURE_USERS.cassandraAdmin} (superuser)   ${secrets.passwordFiles.cassandraAdmin}`,
    `#   Cassandra ${SECURE_USERS.cassandraPipeline} (grants from init-schema --grant) ${secrets.passwordFiles.cassandraPipeline}`,
    "# The pipeline's settings (paste them):",
    ...secureEnvironment(secrets, "pipeline").map(([k, v]) => `export ${k}=${v}`),
    "# Then, as the admins, create the schema and grant the pipeline what it needs:",
    `#   ${
      secureEnvironment(secrets, "admin").filter(([k]) => /USERNAME|PASSWORD_FILE/.test(k))
        .map(([k, v]) => `${k}=${v}`).join(" ")
    } ./reviews init-schema --grant ${SECURE_USERS.kafkaPipeline}`,
  ];
  console.log(lines.join("\n"));
}

/** Resolves the server's jars into the cache once; later starts reuse them. */
async function ensureJars(service: Service): Promise<string> {
  const lib = `${CACHE}/${service.kind}-${service.version}/lib`;
  // The marker holds a digest of the pom and its properties: a changed dependency list fetches
  // again.
  const marker = `${lib}/.complete`;
  const properties = Object.entries(service.pomProperties ?? {}).map(([k, v]) => `-D${k}=${v}`);
  const pom = new TextEncoder().encode(
    (await Deno.readTextFile(service.pom)) + properties.join(" "),
  );
  const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", pom)))
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
  if ((await readText(marker))?.trim() === digest) return lib;
  log.info(`Fetching ${service.title} ${service.version} jars from Maven Central into ${lib}`);
  await Deno.remove(lib, { recursive: true }).catch(() => {});
  await Deno.mkdir(lib, { recursive: true });
  await run("mvn", [
    "-B",
    "-q",
    "-f",
    service.pom,
    ...properties,
    `${DEPENDENCY_PLUGIN}:copy-dependencies`,
    "-DincludeScope=runtime",
    `-DoutputDirectory=${lib}`,
  ]);
  await Deno.writeTextFile(marker, digest);
  return lib;
}

async function waitReady(service: Service, pid: number | undefined, logFile?: string) {
  const deadline = Date.now() + service.startLimitS * 1000;
  let last = "";
  // Two looks a second apart before calling it dead: one `ps` can miss a process that is just
  // being exec'd, or fail under load.
  let missed = 0;
  while (Date.now() < deadline) {
    missed = pid !== undefined && !(await alive(pid, service.name)) ? missed + 1 : 0;
    if (missed >= 2) {
      const tail = logFile ? await tailOf(logFile, 30) : "";
      throw new Error(`${service.title} exited while starting. Last log lines:\n${tail}`);
    }
    try {
      const detail = await service.ready();
      log.info(
        `${service.title} answers on ${service.host}:${service.port} (${detail})` +
          (logFile ? `; log: ${logFile}` : ""),
      );
      return;
    } catch (error) {
      last = messageOf(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(
    `${service.title} did not answer within ${service.startLimitS} s (last: ${last})` +
      (logFile ? `; see ${logFile}` : ""),
  );
}

async function down(wipe: boolean, services: Service[], total: number): Promise<number> {
  const mode = (await readText(`${STATE}/mode`))?.trim();
  if (mode === "docker" && services.length < total) {
    const names = services.map((service) => service.name);
    await run("docker", [
      "compose",
      "-f",
      `${PROJECT_ROOT}/compose.yaml`,
      "rm",
      "-s",
      "-f",
      ...(wipe ? ["-v"] : []),
      ...names,
    ]);
  } else if (mode === "docker") {
    await run("docker", [
      "compose",
      "-f",
      `${PROJECT_ROOT}/compose.yaml`,
      "down",
      ...(wipe ? ["-v"] : []),
    ]);
  } else {
    await Promise.all(services.map(async (service) => {
      const pidFile = pidFileOf(service.name);
      const pid = await livePid(pidFile, service.name);
      if (pid === undefined) {
        log.info(`${service.title} is not running`);
      } else {
        await stop(pid, service);
      }
      await Deno.remove(pidFile).catch(() => {});
    }));
  }
  if (wipe) {
    for (const service of services) {
      await Deno.remove(`${STATE}/${service.name}`, { recursive: true }).catch(() => {});
    }
    if (services.some((service) => service.name === "kafka-1")) {
      await Deno.remove(`${STATE}/kafka-cluster-id`).catch(() => {});
    }
    log.info("Data wiped");
  }
  return 0;
}

async function stop(pid: number, service: Service): Promise<void> {
  Deno.kill(pid, "SIGTERM");
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && await alive(pid, service.name)) {
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  if (await alive(pid, service.name)) {
    log.warn(`${service.title} (pid ${pid}) ignored SIGTERM for 60 s; sending SIGKILL`);
    Deno.kill(pid, "SIGKILL");
  }
  log.info(`${service.title} stopped (pid ${pid})`);
}

async function status(all: Service[]): Promise<number> {
  const mode = (await readText(`${STATE}/mode`))?.trim() ?? "jars";
  let allUp = true;
  for (const service of all) {
    const pid = mode === "jars" ? await servicePid(service.name) : undefined;
    let answer: string;
    try {
      answer = `answers (${await service.ready()})`;
    } catch (error) {
      answer = `does not answer (${messageOf(error)})`;
      allUp = false;
    }
    const process = mode === "docker"
      ? "docker compose"
      : pid === undefined
      ? "not started by this checkout"
      : `pid ${pid}`;
    console.log(`${service.name.padEnd(16)} ${process}; ${service.host}:${service.port} ${answer}`);
  }
  return allUp ? 0 : 1;
}

/** The pid of a service this checkout started (`kafka`, `cassandra`) while it runs. */
export function servicePid(name: string): Promise<number | undefined> {
  return livePid(pidFileOf(name), name);
}

/** Where `up` keeps the pid of a service it started. */
function pidFileOf(name: string): string {
  return `${STATE}/${name}/pid`;
}

/** The pid in `pidFile` when that process is still the server this checkout started. */
async function livePid(pidFile: string, name: string): Promise<number | undefined> {
  const pid = Number((await readText(pidFile))?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return await alive(pid, name) ? pid : undefined;
}

/** True when `pid` runs and its command line carries our marker (guards against pid reuse). */
async function alive(pid: number, name: string): Promise<boolean> {
  const out = await new Deno.Command("ps", {
    args: ["-p", String(pid), "-o", "stat=,command="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim();
  return out.success && !line.startsWith("Z") &&
    new RegExp(`-Dreviews\\.service=${name}(\\s|$)`).test(line);
}

async function portOpen(hostname: string, port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

async function run(command: string, args: string[], logFile?: string): Promise<void> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (logFile) await Deno.writeTextFile(logFile, text);
  if (!out.success) {
    throw new Error(`'${command} ${args.slice(0, 3).join(" ")} ...' failed:\n${text.slice(-3000)}`);
  }
}

async function render(template: string, target: string, vars: Record<string, string>) {
  const text = await Deno.readTextFile(template);
  await Deno.writeTextFile(
    target,
    text.replace(/\$\{(\w+)\}/g, (whole, key: string) => vars[key] ?? whole),
  );
}

const clusterIds = new Map<string, Promise<string>>();

/** The cluster id kept in `file`, made on first use; the nodes starting together share it. */
function storedClusterId(file: string): Promise<string> {
  let id = clusterIds.get(file);
  if (id === undefined) {
    id = (async () => {
      const stored = (await readText(file))?.trim();
      if (stored) return stored;
      const made = kraftClusterId();
      await Deno.writeTextFile(file, made);
      return made;
    })();
    clusterIds.set(file, id);
  }
  return id;
}

/**
 * A KRaft cluster id: 16 random bytes in unpadded base64url. One starting with `-` would read as
 * a flag to kafka-storage, so it is drawn again, as Kafka's own Uuid.randomUuid() does.
 */
export function kraftClusterId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

async function tailOf(path: string, lines: number): Promise<string> {
  return ((await readText(path)) ?? "").split("\n").slice(-lines).join("\n");
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`error: ${messageOf(error)}`);
    Deno.exit(1);
  }
}

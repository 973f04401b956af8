import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  ConfigResourceTypes,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type LogEntry,
  logLevel,
  Partitioners,
  type Producer,
  type ProducerConfig,
  ResourcePatternTypes,
  type RetryOptions,
  type SASLOptions,
} from "./kafkajs.ts";
import process from "node:process";
import type { KafkaConfig } from "./config.ts";
import {
  ConnectionError,
  messageOf,
  ReviewsError,
  settledWithin,
  withTimeout,
} from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { nodeTlsOptions, tlsTrouble } from "../core/tls.ts";

// kafkajs 2.2.4 arms a timer with a negative delay on every new connection (tulios/kafkajs#1751);
// the runtime clamps it to 1 ms and warns on stderr. The warning says nothing to our users.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string })?.type;
  if (type === "TimeoutNegativeWarning") return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

/** Retries for the first contact with the cluster: a few seconds, then a clear error. */
const FAST_FAIL_RETRY: RetryOptions = { retries: 3, initialRetryTime: 250, maxRetryTime: 2_000 };
/** Retries once a client is working: rides out a broker restart or a leader election. */
const STEADY_RETRY: RetryOptions = { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 };

/** Builds kafkajs clients from one configuration and closes them together. */
export class KafkaClient {
  /** For producers and consumers: rides out broker restarts. */
  readonly #kafka: Kafka;
  /** For the admin and first contact: gives up within seconds. */
  readonly #probe: Kafka;
  readonly #clients: { disconnect(): Promise<void> }[] = [];
  #admin?: Promise<Admin>;

  constructor(readonly config: KafkaConfig, readonly logger: Logger) {
    const settings = (retry: RetryOptions) =>
      new Kafka({
        clientId: config.clientId,
        brokers: config.brokers,
        ssl: config.tls === undefined ? false : nodeTlsOptions(config.tls),
        sasl: config.sasl as SASLOptions | undefined,
        connectionTimeout: Math.min(config.connectTimeoutMs, 3_000),
        requestTimeout: 30_000,
        retry,
        logLevel: logLevel.WARN,
        logCreator: () => (entry: LogEntry) => {
          const { message, ...extra } = entry.log;
          logger.debug(`kafkajs ${entry.namespace}: ${message} ${JSON.stringify(extra)}`);
        },
      });
    this.#kafka = settings(STEADY_RETRY);
    this.#probe = settings(FAST_FAIL_RETRY);
  }

  /** A connected admin client; fails within seconds with a ConnectionError when no broker answers. */
  admin(): Promise<Admin> {
    this.#admin ??= this.#connect(this.#probe.admin());
    return this.#admin;
  }

  /** Checks that the cluster answers a metadata request. */
  async ping(): Promise<{ brokers: number; controller: number | null }> {
    const admin = await this.admin();
    const cluster = await this.#bounded(admin.describeCluster(), "describing the cluster");
    return { brokers: cluster.brokers.length, controller: cluster.controller };
  }

  /** A connected producer using Kafka's Java-compatible (murmur2) key partitioner. */
  async producer(config: ProducerConfig = {}): Promise<Producer> {
    // The admin's fast-failing first contact tells an unreachable cluster within seconds; the
    // producer itself then retries patiently.
    await this.admin();
    return await this.#connect(
      this.#kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config }),
    );
  }

  /** A connected consumer in `groupId`. */
  async consumer(config: ConsumerConfig): Promise<Consumer> {
    await this.admin();
    return await this.#connect(this.#kafka.consumer(config));
  }

  /** Creates missing topics and reports which ones were new. */
  async ensureTopics(
    topics: {
      topic: string;
      numPartitions: number;
      replicationFactor: number;
      configEntries?: { name: string; value: string }[];
    }[],
  ): Promise<{ created: string[]; existing: string[] }> {
    const admin = await this.admin();
    const present = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !present.has(topic.topic));
    if (missing.length > 0) {
      try {
        await admin.createTopics({ topics: missing, waitForLeaders: false });
      } catch (error) {
        throw this.#refused(`create topic ${missing.map((t) => t.topic).join(", ")}`, error);
      }
      await this.#awaitLeaders(missing.map((t) => t.topic));
    }
    return {
      created: missing.map((topic) => topic.topic),
      existing: topics.filter((topic) => present.has(topic.topic)).map((topic) => topic.topic),
    };
  }

  /** Fails with a hint to run init-schema when a topic the command needs is missing. */
  async requireTopics(topics: string[], dataset: string): Promise<void> {
    const existing = new Set(await (await this.admin()).listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      const user = this.config.sasl?.username;
      throw new ReviewsError(
        `Kafka topic${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ` +
          `do${missing.length > 1 ? "" : "es"} not exist` +
          (user === undefined
            ? ""
            : `, or user ${user} may not see ${missing.length > 1 ? "them" : "it"}`),
        `Run './reviews init-schema --dataset ${dataset}' first (with the same --topic, if any)` +
          (user === undefined
            ? "."
            : `; as an admin, './reviews init-schema --grant ${user}' gives ${user} the topic.`),
      );
    }
  }

  /**
   * Waits until every partition of new topics has a leader. On several brokers the metadata
   * reaches each one at its own pace, so "unknown topic" is expected for a moment.
   */
  async #awaitLeaders(topics: string[], limitMs = 30_000): Promise<void> {
    const admin = await this.admin();
    const deadline = Date.now() + limitMs;
    let last = "";
    while (Date.now() < deadline) {
      try {
        const metadata = await admin.fetchTopicMetadata({ topics });
        const leaderless = metadata.topics.flatMap((t) =>
          t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}/${p.partitionId}`)
        );
        if (leaderless.length === 0) return;
        last = `no leader yet for ${leaderless.join(", ")}`;
      } catch (error) {
        last = messageOf(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new ReviewsError(
      `Kafka created ${topics.join(", ")} but gave not every partition a leader within ` +
        `${limitMs / 1000} s (last: ${last})`,
      "Check that the brokers are up ('deno task status') and run init-schema again.",
    );
  }

  /** A refusal by the broker (an ACL, a policy) worded with the user and the broker's reason. */
  #refused(what: string, error: unknown): ReviewsError {
    const reasons = [
      ...new Set(
        ((error as { errors?: { type?: string; message?: string }[] }).errors ?? [error as Error])
          .map((e) => `${(e as Error).message}${"type" in e && e.type ? ` (${e.type})` : ""}`),
      ),
    ];
    const denied = reasons.some((reason) => /AUTHORIZATION_FAILED|not authorized/i.test(reason));
    const user = this.config.sasl?.username;
    return new ReviewsError(
      `Kafka refused to ${what}: ${reasons.join("; ")}`,
      denied
        ? `User ${user ?? "(anonymous)"} lacks the right to; run this as a Kafka admin ` +
          "(--kafka-username, --kafka-password-file)."
        : undefined,
      { cause: error },
    );
  }

  /** Allows `user` (a SASL user name) each operation of each grant, from any host. */
  async grant(user: string, grants: readonly KafkaGrant[]): Promise<void> {
    const admin = await this.admin();
    await admin.createAcls({
      acl: grants.flatMap((grant) =>
        grant.operations.map((operation) => ({
          resourceType: ACL_RESOURCES[grant.resource],
          resourceName: grant.resource === "cluster" ? "kafka-cluster" : grant.name,
          resourcePatternType: grant.prefixed
            ? ResourcePatternTypes.PREFIXED
            : ResourcePatternTypes.LITERAL,
          principal: `User:${user}`,
          host: "*",
          operation: ACL_OPERATIONS[operation],
          permissionType: AclPermissionTypes.ALLOW,
        }))
      ),
    });
  }

  /** How many partitions each topic has (topics that exist; an empty list asks for none). */
  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    if (topics.length === 0) return new Map();
    const metadata = await (await this.admin()).fetchTopicMetadata({ topics: [...topics] });
    return new Map(metadata.topics.map((topic) => [topic.name, topic.partitions.length]));
  }

  /** Each partition's earliest and next offsets. */
  async offsets(topic: string): Promise<{ partition: number; low: number; high: number }[]> {
    const offsets = await (await this.admin()).fetchTopicOffsets(topic);
    return offsets.map((entry) => ({
      partition: entry.partition,
      low: Number(entry.low),
      high: Number(entry.high),
    }));
  }

  /** A topic's max.message.bytes: the largest record batch the broker accepts for it. */
  async maxMessageBytes(topic: string): Promise<number> {
    const admin = await this.admin();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configNames: ["max.message.bytes"],
      }],
    });
    const entry = described.resources[0]?.configEntries.find((e) =>
      e.configName === "max.message.bytes"
    );
    const bytes = Number(entry?.configValue);
    // Kafka's default (1 MiB plus the batch header) when the broker does not say.
    return Number.isFinite(bytes) && bytes > 0 ? bytes : 1_048_588;
  }

  /** Disconnects every client this object made. */
  /**
   * Disconnects every client, waiting at most `waitMs`: a consumer leaving mid-join waits for the
   * join, which a dead member can hold up for its whole session timeout.
   */
  async close(waitMs = 3_000): Promise<void> {
    const clients = this.#clients.splice(0);
    await settledWithin(Promise.allSettled(clients.map((client) => client.disconnect())), waitMs);
    this.#admin = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #connect<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(
    client: T,
  ): Promise<T> {
    this.#clients.push(client);
    try {
      await this.#bounded(client.connect(), "connecting");
    } catch (error) {
      throw kafkaConnectionError(this.config, error);
    }
    return client;
  }

  /** Bounds a first contact in time and names the brokers when it fails. */
  async #bounded<T>(work: Promise<T>, what: string): Promise<T> {
    try {
      return await withTimeout(work, this.config.connectTimeoutMs + 10_000, what);
    } catch (error) {
      throw kafkaConnectionError(this.config, error);
    }
  }
}

/** A permission on a Kafka resource (an ACL), as init-schema --grant gives them. */
export interface KafkaGrant {
  resource: "topic" | "group" | "transactional-id" | "cluster";
  /** The resource's name, or with `prefixed` every name starting with it. */
  name: string;
  prefixed?: boolean;
  operations: readonly ("read" | "write" | "describe" | "describe-configs" | "idempotent-write")[];
}

const ACL_RESOURCES = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  "transactional-id": AclResourceTypes.TRANSACTIONAL_ID,
  cluster: AclResourceTypes.CLUSTER,
};

const ACL_OPERATIONS = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  describe: AclOperationTypes.DESCRIBE,
  "describe-configs": AclOperationTypes.DESCRIBE_CONFIGS,
  "idempotent-write": AclOperationTypes.IDEMPOTENT_WRITE,
};

/** Turns a kafkajs failure into an error that names the brokers and what to check. */
export function kafkaConnectionError(config: KafkaConfig, error: unknown): ConnectionError {
  if (error instanceof ConnectionError) return error;
  const detail = rootMessage(error);
  const tls = tlsTrouble("kafka", config.tls, detail);
  if (tls !== undefined) {
    return new ConnectionError(
      "Kafka",
      config.brokers,
      tls.detail,
      tls.hint,
      { cause: error },
      "reached",
    );
  }
  if (/SASL/i.test(detail)) {
    return new ConnectionError(
      "Kafka",
      config.brokers,
      `the broker answered, but the SASL handshake failed: ${detail}`,
      config.sasl
        ? "Check --kafka-sasl-mechanism, the user name and the password, and that this listener " +
          "expects SASL (its security.protocol is SASL_PLAINTEXT or SASL_SSL)."
        : "The listener expects SASL authentication: give --kafka-username and a password " +
          "(KAFKA_USERNAME, KAFKA_PASSWORD) and the mechanism it uses.",
      { cause: error },
      "reached",
    );
  }
  return new ConnectionError(
    "Kafka",
    config.brokers,
    detail,
    "Check that a broker is listening there (local services: 'deno task up'; status: " +
      "'deno task status'), or point --brokers / KAFKA_BROKERS at your cluster" +
      (config.tls || config.sasl
        ? ", and check the TLS and SASL settings."
        : ". If the listener is TLS (SSL or SASL_SSL), add --kafka-tls or --kafka-ca."),
    { cause: error },
  );
}

/** The innermost message of a kafkajs error chain, which says what really failed. */
function rootMessage(error: unknown): string {
  let current: unknown = error;
  const seen = new Set<unknown>();
  while (
    current instanceof Error && "cause" in current && current.cause instanceof Error &&
    !seen.has(current)
  ) {
    seen.add(current);
    current = current.cause;
  }
  const message = messageOf(current);
  const outer = messageOf(error);
  return message === outer ? message : `${outer} (${message})`;
}

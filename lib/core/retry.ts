/**
 * One retry loop for every command that talks to Kafka or Cassandra: a failure that waiting can
 * clear (a timeout, an unavailable replica, a leader or coordinator moving) is retried with
 * capped backoff; one that waiting cannot clear (a message too large, an invalid query, a
 * refused permission) ends the loop at once with the reason.
 */
import { messageOf, ReviewsError } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { Stopper } from "./signals.ts";

/** How a failure is to be treated. */
export type Verdict = "retriable" | "permanent";

/** Says what a failure is and describes it for a log line. */
export interface FailureKind {
  classify(error: unknown): Verdict;
  describe(error: unknown): string;
}

/** Backoff bounds: the first wait and the longest one. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/**
 * The default backoff. The cap is short on purpose: once a service is back, a stream should
 * notice within seconds, not sit out a long sleep.
 */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 5_000 };

/** The wait before attempt `attempt + 1`: doubling from the first wait up to the cap. */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.initialMs * 2 ** Math.max(0, attempt - 1), backoff.maxMs);
}

/** A failure that retrying will not clear; carries the underlying error as its cause. */
export class PermanentFailure extends ReviewsError {}

/** What `retrying` needs besides the work. */
export interface RetryContext {
  /** What is being done, lower case: "writing to Cassandra". */
  what: string;
  kind: FailureKind;
  logger: Logger;
  stopper: Stopper;
  backoff?: Backoff;
  /** Said after the reason when the loop gives up or is stopped (e.g. what was not committed). */
  consequence?: string;
  /** Called before each wait (metrics, counters). */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `work` until it succeeds. A retriable failure is logged and retried after a capped
 * backoff until the stopper stops; a permanent one throws a PermanentFailure at once.
 */
export async function retrying<T>(
  context: RetryContext,
  work: (attempt: number) => Promise<T>,
): Promise<T> {
  const { what, kind, logger, stopper } = context;
  const after = context.consequence ? `; ${context.consequence}` : "";
  for (let attempt = 1;; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (error instanceof PermanentFailure) throw error;
      const reason = kind.describe(error);
      if (kind.classify(error) === "permanent") {
        throw new PermanentFailure(
          `${capitalize(what)} failed, and retrying cannot fix it: ${reason}${after}`,
          undefined,
          { cause: error },
        );
      }
      if (stopper.stopped) {
        throw new ReviewsError(
          `Stopped while ${what} was failing: ${reason}${after}`,
          undefined,
          { cause: error },
        );
      }
      context.onRetry?.(error, attempt);
      const wait = backoffDelay(attempt, context.backoff);
      logger.warn(
        `${capitalize(what)} failed (attempt ${attempt}): ${reason}; retrying in ` +
          `${(wait / 1000).toFixed(wait < 1000 ? 2 : 0)} s${after}`,
      );
      await stopper.sleep(wait);
    }
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The chain of causes of an error, outermost first (kafkajs and the driver nest them). */
export function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** Whether an error, or one of its causes, carries one of these Kafka error types (kafkajs' names). */
export function hasKafkaErrorType(error: unknown, types: ReadonlySet<string>): boolean {
  return causes(error).some((link) => {
    const type = (link as { type?: unknown }).type;
    return typeof type === "string" && types.has(type);
  });
}

// Kafka error codes (by kafkajs' `type` name) that waiting does not clear, whatever kafkajs
// says of them: the request itself, the configuration or a permission is wrong.
const KAFKA_PERMANENT = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TOPIC_EXCEPTION",
  "INVALID_REQUIRED_ACKS",
  "INVALID_CONFIG",
  "POLICY_VIOLATION",
  "UNSUPPORTED_VERSION",
  "UNSUPPORTED_FOR_MESSAGE_FORMAT",
  "UNSUPPORTED_COMPRESSION_TYPE",
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "SASL_AUTHENTICATION_FAILED",
  "ILLEGAL_SASL_STATE",
  "UNSUPPORTED_SASL_MECHANISM",
  "INVALID_TRANSACTION_TIMEOUT",
  "PRODUCER_FENCED",
  "INVALID_PRODUCER_EPOCH",
  "TRANSACTIONAL_ID_NOT_FOUND",
]);

// kafkajs errors without a protocol code that are transient although kafkajs marks them final.
const KAFKA_TRANSIENT_NAMES = new Set([
  "KafkaJSGroupCoordinatorNotFound",
  "KafkaJSTimeout",
  "KafkaJSLockTimeout",
  "KafkaJSNumberOfRetriesExceeded",
]);

/** Kafka failures as kafkajs reports them. */
export const KAFKA_FAILURES: FailureKind = {
  classify(error) {
    if (hasKafkaErrorType(error, KAFKA_PERMANENT)) return "permanent";
    const chain = causes(error);
    for (const link of chain) {
      const name = (link as { name?: unknown }).name;
      if (name === "KafkaJSSASLAuthenticationError") return "permanent";
    }
    // The innermost kafkajs error decides: a protocol error carries the broker's own verdict, a
    // connection or request timeout is transient; "retries exceeded" wraps its cause.
    const inner = chain.filter((link) => typeof (link as { name?: unknown }).name === "string")
      .filter((link) => String((link as { name: string }).name).startsWith("KafkaJS"))
      .at(-1) as { name: string; retriable?: boolean } | undefined;
    if (inner === undefined) return "retriable";
    if (KAFKA_TRANSIENT_NAMES.has(inner.name)) return "retriable";
    return inner.retriable === false ? "permanent" : "retriable";
  },
  describe(error) {
    const chain = causes(error).map((link) => messageOf(link));
    const distinct = chain.filter((message, i) => chain.indexOf(message) === i);
    const brokers = causes(error).map((link) => (link as { broker?: unknown }).broker)
      .find((broker) => typeof broker === "string");
    return distinct.join(": ") + (brokers ? ` (broker ${brokers})` : "");
  },
};

/** Cassandra's protocol error codes that waiting clears. */
const CASSANDRA_TRANSIENT_CODES = new Set([
  0x0000, // server error
  0x1000, // unavailable
  0x1001, // overloaded
  0x1002, // is bootstrapping
  0x1003, // truncate error
  0x1100, // write timeout
  0x1200, // read timeout
  0x1500, // write failure (a replica failed; another attempt may reach others)
  0x2500, // unprepared (the driver re-prepares)
]);

/** Cassandra failures as cassandra-driver reports them. */
export const CASSANDRA_FAILURES: FailureKind = {
  classify(error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "number") {
      return CASSANDRA_TRANSIENT_CODES.has(code) ? "retriable" : "permanent";
    }
    const name = (error as { name?: unknown }).name;
    // Encoding a value the column cannot hold is the row's fault.
    if (name === "TypeError" || name === "RangeError" || name === "ArgumentError") {
      return "permanent";
    }
    if (name === "AuthenticationError") return "permanent";
    const inner = (error as { innerErrors?: Record<string, unknown> }).innerErrors;
    if (inner && Object.keys(inner).length > 0) {
      const all = Object.values(inner);
      return all.every((cause) => (cause as { name?: unknown }).name === "AuthenticationError")
        ? "permanent"
        : "retriable";
    }
    // No host available, operation timed out, busy connection, socket errors.
    return "retriable";
  },
  describe: describeCassandraError,
};

const CASSANDRA_CODE_LABELS: Record<number, string> = {
  0x0000: "server_error",
  0x1000: "unavailable",
  0x1001: "overloaded",
  0x1002: "bootstrapping",
  0x1003: "truncate_error",
  0x1100: "write_timeout",
  0x1200: "read_timeout",
  0x1500: "write_failure",
  0x2500: "unprepared",
};

/**
 * A short, fixed label for a Cassandra failure, for a metric's `reason` label: the protocol
 * error's name, `no_host_available`, `client_timeout`, or `other`.
 */
export function cassandraFailureLabel(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "number") return CASSANDRA_CODE_LABELS[code] ?? "other";
  const name = (error as { name?: unknown }).name;
  if (name === "NoHostAvailableError") return "no_host_available";
  if (name === "OperationTimedOutError") return "client_timeout";
  return "other";
}

/**
 * A driver error as one line: for "all hosts failed", each host with its own reason; no stack
 * traces and no stray punctuation from the driver's message.
 */
export function describeCassandraError(error: unknown): string {
  const inner = (error as { innerErrors?: Record<string, unknown> }).innerErrors;
  if (inner && Object.keys(inner).length > 0) {
    const hosts = Object.entries(inner).map(([host, cause]) =>
      `${host} (${firstLine(messageOf(cause)).replace(/[.;\s]+$/, "")})`
    );
    return `no Cassandra host answered; tried ${hosts.join(", ")}`;
  }
  if (
    inner !== undefined || (error as { name?: unknown }).name === "NoHostAvailableError"
  ) {
    return "no Cassandra host is available (every node is down or marked down by the driver)";
  }
  return firstLine(messageOf(error)).replace(/[.;\s]+$/, "");
}

function firstLine(text: string): string {
  return text.split("\n")[0].trim();
}

/**
 * Awaits `work`, calling `onWait(seconds)` every `everyMs` while it is still pending: a client
 * that retries by itself (kafkajs' idempotent producer) is silent while it waits, the user
 * should not be.
 */
export async function reportWhilePending<T>(
  work: Promise<T>,
  everyMs: number,
  onWait: (seconds: number) => void,
): Promise<T> {
  const started = performance.now();
  const timer = setInterval(() => onWait((performance.now() - started) / 1000), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

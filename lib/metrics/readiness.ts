/**
 * What `/readyz` answers. A stream member is ready while it is in its consumer group (holding
 * partitions, or legitimately holding none) and Cassandra answers; a producer is ready while its
 * sends succeed. The Cassandra probe is cached briefly, so a supervisor polling often does not
 * load the cluster.
 */
import { describeCassandraError } from "../core/retry.ts";
import type { CqlSession } from "../cassandra/client.ts";
import type { Readiness } from "./server.ts";

/** How a check last went. */
export type CheckResult = { ok: true } | { ok: false; reason: string };

/** Runs an async check at most once per `maxAgeMs`; callers in between share the last result. */
export class CachedCheck {
  #last?: { at: number; result: Promise<CheckResult> };

  constructor(
    readonly check: () => Promise<void>,
    readonly describe: (error: unknown) => string,
    readonly maxAgeMs = 1_000,
    readonly now: () => number = () => performance.now(),
  ) {}

  result(): Promise<CheckResult> {
    const now = this.now();
    if (this.#last === undefined || now - this.#last.at >= this.maxAgeMs) {
      this.#last = {
        at: now,
        result: this.check().then(
          (): CheckResult => ({ ok: true }),
          (error): CheckResult => ({ ok: false, reason: this.describe(error) }),
        ),
      };
    }
    return this.#last.result;
  }
}

/** Asks Cassandra the cheapest question there is, with a short timeout. */
export function cassandraProbe(session: Pick<CqlSession, "execute">): CachedCheck {
  return new CachedCheck(async () => {
    await session.execute("SELECT release_version FROM system.local", [], {
      prepare: false,
      readTimeout: 2_000,
    });
  }, describeCassandraError);
}

/** What a stream member's readiness depends on. */
export interface StreamState {
  topic: string;
  group: string;
  /** Whether the group has assigned this member partitions yet (possibly none). */
  joined: boolean;
  owned: readonly number[];
  /** Cassandra's contact points, for the reason. */
  cassandraHosts: readonly string[];
  /** Set once the consumer has failed for good. */
  failure?: string;
}

/** A stream member's readiness, from its state and Cassandra's answer. */
export function streamReadiness(state: StreamState, cassandra: CheckResult): Readiness {
  if (state.failure !== undefined) {
    return { ready: false, reason: `the Kafka consumer stopped: ${state.failure}` };
  }
  if (!state.joined) {
    return { ready: false, reason: `joining consumer group ${state.group}` };
  }
  if (!cassandra.ok) {
    return {
      ready: false,
      reason: `Cassandra at ${
        state.cassandraHosts.join(", ")
      } does not answer: ${cassandra.reason}`,
    };
  }
  if (state.owned.length === 0) {
    return {
      ready: true,
      reason: `in group ${state.group} with no partition of ${state.topic}: the group has given ` +
        `them to other members; waiting for a rebalance`,
    };
  }
  return {
    ready: true,
    reason: `holding partitions ${state.owned.join(", ")} of ${state.topic}; Cassandra answers`,
  };
}

/** A producer's readiness: ready unless its sends are failing (the reason of the last failure). */
export function produceReadiness(topic: string, failing: string | undefined): Readiness {
  return failing === undefined
    ? { ready: true, reason: `sending to ${topic}` }
    : { ready: false, reason: `sends to ${topic} are failing and being retried: ${failing}` };
}

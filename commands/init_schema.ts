import { defineCommand } from "../lib/cli/command.ts";
import { type Env, flagHelp, option, readFlags } from "../lib/cli/flags.ts";
import { integer, Invalid, nonEmpty } from "../lib/core/parse.ts";
import { UsageError } from "../lib/core/errors.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  commonOptions,
} from "../lib/cli/common_flags.ts";
import { parseReplication, parseTtl, type Replication } from "../lib/cassandra/schema.ts";

const INIT_SCHEMA_FLAGS = {
  partitions: option({
    arg: "N",
    help: "partitions of a new topic",
    default: "3",
    parse: integer({ min: 1, max: 10_000 }),
  }),
  "replication-factor": option({
    arg: "N",
    help: "replication factor of a new topic",
    default: "1",
    parse: integer({ min: 1, max: 100 }),
  }),
  "min-insync-replicas": option({
    arg: "N",
    help: "min.insync.replicas of a new topic: with acks from all in-sync\n" +
      "replicas, a write needs N copies (2 keeps writing with one broker\n" +
      "down and never acknowledges a single copy)",
    defaultNote: "2 when the replication factor is 3 or more, else 1",
    parse: integer({ min: 1, max: 100 }),
  }),
  "keyspace-replication": option({
    arg: "SPEC",
    help: "replication of a new keyspace: a factor for SimpleStrategy (1),\n" +
      "or per-data-center factors for NetworkTopologyStrategy\n(datacenter1:3,datacenter2:2)",
    default: "1",
    parse: parseReplication,
  }),
  grant: option({
    arg: "NAME",
    help: "give this Kafka user and Cassandra role what the pipeline needs\n" +
      "(and no more): the topic, its DLQ, the group, transactions;\n" +
      "SELECT and MODIFY on the keyspace. Run as an admin",
    parse: roleName,
  }),
  group: option({
    arg: "ID",
    help: "the consumer group --grant covers",
    defaultNote: "reviews-<dataset>",
    parse: nonEmpty(),
  }),
  ttl: option({
    arg: "DURATION",
    help: "default_time_to_live of a new table: rows expire that long after\n" +
      "they are written (90d, 12h, 3600s); 0 keeps them forever",
    defaultNote: "0",
    parse: parseTtl,
  }),
};

/** A Kafka user and Cassandra role name --grant accepts: a CQL identifier, unquoted. */
function roleName(raw: string): string | Invalid {
  const name = raw.trim();
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : new Invalid(
    `takes a lower-case name of letters, digits and underscores, got '${raw}'`,
  );
}

/** Help of `./reviews init-schema`. */
export const INIT_SCHEMA_HELP = `Usage: ./reviews init-schema [flags]

Creates the dataset's Kafka topics (events and dead letters) and its Cassandra keyspace and
table, when missing. Running it again changes nothing and says so. Returns once every Cassandra
node agrees on the schema.

${flagHelp("Flags", INIT_SCHEMA_FLAGS)}

${COMMON_HELP}`;

/** Options of init-schema. */
export interface InitSchemaOptions extends CommonOptions {
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  keyspaceReplication: Replication;
  /** Seconds; undefined when --ttl was not given (a new table keeps rows forever). */
  ttlSeconds?: number;
  /** The user and role to give the pipeline's rights, and the group they cover. */
  grant?: { name: string; group: string };
}

/** Turns init-schema's flags into options; pure. */
export function parseInitSchemaOptions(args: readonly string[], env: Env): InitSchemaOptions {
  const { values } = readFlags("init-schema", { ...COMMON_FLAGS, ...INIT_SCHEMA_FLAGS }, args, env);
  const replicationFactor = values["replication-factor"];
  const minInsyncReplicas = values["min-insync-replicas"] ?? (replicationFactor >= 3 ? 2 : 1);
  if (minInsyncReplicas > replicationFactor) {
    throw new UsageError(
      `Flag --min-insync-replicas (${minInsyncReplicas}) is above --replication-factor ` +
        `(${replicationFactor}): no write could ever be acknowledged`,
      "Give at most the replication factor; 2 with a factor of 3 is the usual choice.",
    );
  }
  const common = commonOptions(values);
  return {
    ...common,
    partitions: values.partitions,
    replicationFactor,
    minInsyncReplicas,
    keyspaceReplication: values["keyspace-replication"],
    ttlSeconds: values.ttl,
    grant: values.grant === undefined ? undefined : {
      name: values.grant,
      group: values.group ?? common.dataset.defaultGroup,
    },
  };
}

/** `./reviews init-schema`. */
export const INIT_SCHEMA = defineCommand<InitSchemaOptions>({
  name: "init-schema",
  summary: "create the Kafka topics, keyspace and table (idempotent)",
  help: INIT_SCHEMA_HELP,
  parse: parseInitSchemaOptions,
  run: async (options, { kafka, cassandra, out }) => {
    // Loaded only to run: help and usage errors need none of it.
    const { runInitSchema } = await import("./init_schema_run.ts");
    await runInitSchema(options, { kafka: await kafka(), cassandra: await cassandra(), out });
  },
});

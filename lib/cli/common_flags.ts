/** Flags more than one command takes: the dataset and its names, connections, the catalog. */
import {
  type Dataset,
  DATASET_NAMES,
  parseDataset,
  parseKeyspaceName,
  parseTopicName,
  withOverrides,
} from "../pipeline/dataset.ts";
import {
  CONNECTION_FLAGS,
  CONNECTION_HELP,
  type ConnectionOptions,
  connectionOptions,
} from "./connection_flags.ts";
import { listenAddress, text } from "../core/parse.ts";
import { flagHelp, type FlagValues, option, toggle } from "./flags.ts";

/** Options every subcommand takes: which dataset, where it lives, how to connect. */
export interface CommonOptions {
  dataset: Dataset;
  connection: ConnectionOptions;
  debug: boolean;
}

const DATASET_FLAGS = {
  dataset: option({
    arg: "NAME",
    help: DATASET_NAMES.join(" or "),
    env: "REVIEWS_DATASET",
    default: "movies",
    parse: parseDataset,
  }),
  topic: option({
    arg: "NAME",
    help: "Kafka topic instead of the dataset's (its DLQ is NAME.dlq)",
    parse: parseTopicName,
  }),
  keyspace: option({
    arg: "NAME",
    help: "Cassandra keyspace instead of the dataset's",
    parse: parseKeyspaceName,
  }),
};

const OTHER_FLAGS = {
  debug: toggle({ help: "stack traces and client logs on stderr" }),
  help: toggle({ help: "this help", short: "h" }),
};

/** Flags behind CommonOptions, merged into each subcommand's table. */
export const COMMON_FLAGS = { ...DATASET_FLAGS, ...CONNECTION_FLAGS, ...OTHER_FLAGS };

/** Help text for the common flags. */
export const COMMON_HELP = [
  flagHelp("Dataset", DATASET_FLAGS),
  CONNECTION_HELP,
  flagHelp("Other", OTHER_FLAGS),
].join("\n\n");

/** Builds the common options from the common flags' values. */
export function commonOptions(values: FlagValues<typeof COMMON_FLAGS>): CommonOptions {
  return {
    dataset: withOverrides(values.dataset, { topic: values.topic, keyspace: values.keyspace }),
    connection: connectionOptions(values),
    debug: values.debug,
  };
}

/** Options of the commands that read the catalog (produce, stream). */
export interface CatalogFlags {
  /** The catalog file; undefined means the one the project ships for the dataset. */
  catalogPath?: string;
  /** A JSON mapping for catalogs in another layout. */
  mappingPath?: string;
  strict: boolean;
}

/** Flags behind CatalogFlags. */
export const CATALOG_FLAGS = {
  catalog: option({
    arg: "PATH",
    help: "catalog CSV",
    env: "REVIEWS_CATALOG",
    defaultNote: "the dataset's file in data/",
    parse: text,
  }),
  "catalog-mapping": option({
    arg: "FILE",
    help: "JSON mapping for a catalog in another layout: key column,\n" +
      "column per attribute, scale (see data/mappings/)",
    parse: text,
  }),
  strict: toggle({ help: "a catalog row that cannot be read is an error, not skipped" }),
};

/** Help text for the catalog flags. */
export const CATALOG_HELP = flagHelp("Catalog", CATALOG_FLAGS);

/** Reads the catalog flags' values. */
export function catalogFlags(values: FlagValues<typeof CATALOG_FLAGS>): CatalogFlags {
  return {
    catalogPath: values.catalog,
    mappingPath: values["catalog-mapping"],
    strict: values.strict,
  };
}

/** The flag of the long-running commands (produce, stream) that serve metrics and health. */
export const METRICS_FLAGS = {
  "metrics-addr": option({
    arg: "HOST:PORT",
    help: "serve /metrics (Prometheus), /healthz and /readyz there; a port\n" +
      "alone listens on loopback only",
    env: "REVIEWS_METRICS_ADDR",
    defaultNote: "off",
    parse: listenAddress,
  }),
};

/** Help text for the metrics flag. */
export const METRICS_HELP = flagHelp("Metrics", METRICS_FLAGS);

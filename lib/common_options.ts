import {
  booleanFlag,
  type Env,
  type FlagSpec,
  optionalFlag,
  type ParsedFlags,
  stringFlag,
} from "./args.ts";
import {
  CONNECTION_FLAGS,
  CONNECTION_HELP,
  type ConnectionOptions,
  connectionOptions,
} from "./connection.ts";
import { type Dataset, DATASET_NAMES, datasetByName, withOverrides } from "./dataset.ts";

/** Options every subcommand takes: which dataset, where it lives, how to connect. */
export interface CommonOptions {
  dataset: Dataset;
  connection: ConnectionOptions;
  debug: boolean;
}

/** Flags behind CommonOptions, merged into each subcommand's table. */
export const COMMON_FLAGS: FlagSpec = {
  help: { type: "boolean", short: "h" },
  debug: { type: "boolean" },
  dataset: { type: "string" },
  topic: { type: "string" },
  keyspace: { type: "string" },
  ...CONNECTION_FLAGS,
};

/** Help text for the common flags. */
export const COMMON_HELP = `Dataset:
  --dataset NAME               ${DATASET_NAMES.join(" or ")} [REVIEWS_DATASET, movies]
  --topic NAME                 Kafka topic instead of the dataset's (its DLQ is NAME.dlq)
  --keyspace NAME              Cassandra keyspace instead of the dataset's

${CONNECTION_HELP}

Other:
  --debug                      stack traces and client logs on stderr
  -h, --help                   this help`;

/** Builds the common options from parsed flags and the environment. */
export function commonOptions(values: ParsedFlags["values"], env: Env): CommonOptions {
  const dataset = datasetByName(stringFlag(values, "dataset", env, "REVIEWS_DATASET", "movies"));
  return {
    dataset: withOverrides(dataset, {
      topic: optionalFlag(values, "topic"),
      keyspace: optionalFlag(values, "keyspace"),
    }),
    connection: connectionOptions(values, env),
    debug: booleanFlag(values, "debug"),
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
export const CATALOG_FLAGS: FlagSpec = {
  catalog: { type: "string" },
  "catalog-mapping": { type: "string" },
  strict: { type: "boolean" },
};

/** Help text for the catalog flags. */
export const CATALOG_HELP = `Catalog:
  --catalog PATH               catalog CSV [REVIEWS_CATALOG, the dataset's file in data/]
  --catalog-mapping FILE       JSON mapping for a catalog in another layout: key column,
                               column per attribute, scale (see data/mappings/)
  --strict                     a catalog row that cannot be read is an error, not skipped`;

/** Reads the catalog flags. */
export function catalogFlags(values: ParsedFlags["values"], env: Env): CatalogFlags {
  return {
    catalogPath: optionalFlag(values, "catalog", env, "REVIEWS_CATALOG"),
    mappingPath: optionalFlag(values, "catalog-mapping"),
    strict: booleanFlag(values, "strict"),
  };
}

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors.ts";

/** The flag table `node:util` parseArgs takes. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/** Environment lookups, injectable so option parsing stays pure in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Flags and positionals of one subcommand. */
export interface ParsedFlags {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses `args` strictly against `spec`, turning parseArgs' own errors into usage errors that
 * name the flag and point at the command's help.
 */
export function parseFlags(
  command: string,
  args: readonly string[],
  spec: FlagSpec,
  maxPositionals = 0,
): ParsedFlags {
  const hint = `Run './reviews ${command} --help' for the flags it takes.`;
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: spec, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(describeParseError(command, error), hint);
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).join(" ");
    throw new UsageError(`Unexpected argument for '${command}': ${extra}`, hint);
  }
  return {
    values: parsed.values as ParsedFlags["values"],
    positionals: parsed.positionals,
  };
}

function describeParseError(command: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (unknown) return `Unknown flag for '${command}': ${unknown[1]}`;
  const missing = message.match(/Option '([^']+)' argument missing/);
  if (missing) {
    return `Flag ${missing[1].replace(/^-\w, /, "").replace(/ <value>$/, "")} needs a value`;
  }
  const ambiguous = message.match(/Option '([^']+)' argument is ambiguous/);
  if (ambiguous) {
    const flag = ambiguous[1].replace(/^-\w, /, "");
    return `Flag ${flag}: a value starting with '-' must be written as ${flag}=VALUE`;
  }
  // Other parseArgs messages are specific already ("Option '--x' does not take an argument").
  return message.split("\n")[0].replace(/^Option/, "Flag");
}

/** A string flag, else the environment variable, else the default. */
export function stringFlag(
  values: ParsedFlags["values"],
  name: string,
  env: Env,
  envName: string | undefined,
  fallback: string,
): string {
  const value = values[name];
  if (typeof value === "string") return value;
  const fromEnv = envName === undefined ? undefined : env[envName];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : fallback;
}

/** An optional string flag, else the environment variable. */
export function optionalFlag(
  values: ParsedFlags["values"],
  name: string,
  env: Env = {},
  envName?: string,
): string | undefined {
  const value = values[name];
  if (typeof value === "string") return value;
  const fromEnv = envName === undefined ? undefined : env[envName];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
}

/** A boolean flag, else a truthy environment variable (`1`, `true`, `yes`). */
export function booleanFlag(
  values: ParsedFlags["values"],
  name: string,
  env: Env = {},
  envName?: string,
): boolean {
  if (values[name] === true) return true;
  const fromEnv = envName === undefined ? undefined : env[envName];
  return fromEnv !== undefined && /^(1|true|yes|on)$/i.test(fromEnv);
}

/** A whole number in [min, max], or a usage error naming the flag. */
export function integerFlag(
  flag: string,
  raw: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const trimmed = raw.trim().replaceAll("_", "");
  const value = /^-?\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${min} to ${max}`;
    throw new UsageError(`Flag --${flag} takes a whole number ${range}, got '${raw}'`);
  }
  return value;
}

/** One of a fixed set of words, or a usage error listing them. */
export function choiceFlag<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  const found = choices.find((choice) => choice === raw.toLowerCase());
  if (found === undefined) {
    throw new UsageError(`Flag --${flag} takes one of ${choices.join(", ")}, got '${raw}'`);
  }
  return found;
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1_000,
  kib: 1_024,
  mb: 1_000_000,
  mib: 1_048_576,
  gb: 1_000_000_000,
  gib: 1_073_741_824,
};

/** A size in bytes (`5120`, `5KiB`, `64MiB`, `1MB`) in [min, max], or a usage error. */
export function byteSizeFlag(
  flag: string,
  raw: string,
  { min = 1, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const match = raw.trim().toLowerCase().match(/^(\d+(?:\.\d+)?)\s*([a-z]*)$/);
  const unit = match === null ? undefined : BYTE_UNITS[match[2]];
  const bytes = match === null || unit === undefined ? NaN : Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
    throw new UsageError(
      `Flag --${flag} takes a size from ${min} to ${max} bytes (e.g. 5KiB, 64MiB), got '${raw}'`,
    );
  }
  return bytes;
}

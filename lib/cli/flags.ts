/**
 * Flags declared once. Each command lists its flags in a table (name, environment variable,
 * default, help line, parser); the help text and the typed options both come from it, and this
 * module alone words "Flag --x ..." errors from the parsers' reasons.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../core/errors.ts";
import { Invalid, type Parser, truthy } from "../core/parse.ts";

/** Environment lookups, injectable so option parsing stays pure in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

interface Described {
  /** The help line; `\n` starts a continuation line. */
  help: string;
  /** The environment variable read when the flag is not given. */
  env?: string;
  /** A one-letter alias (`-h`). */
  short?: string;
}

/** A flag that takes a value, read by `parse`; `T` includes undefined when it has no default. */
export interface ValueFlag<T> extends Described {
  kind: "value";
  /** What the help shows after the flag: `N`, `DURATION`, `LIST`. */
  arg: string;
  /** The value used when neither the flag nor its environment variable is set. */
  default?: string;
  /** Shown in the help when the default is computed elsewhere (`the OS user`). */
  defaultNote?: string;
  parse: Parser<Exclude<T, undefined>>;
}

/** A flag that is on or off (`--json`); its environment variable is on when truthy. */
export interface SwitchFlag extends Described {
  kind: "switch";
}

/** Any declared flag. */
// deno-lint-ignore no-explicit-any
export type Flag = ValueFlag<any> | SwitchFlag;

/** A command's flags by name (without the dashes). */
export type FlagTable = Readonly<Record<string, Flag>>;

/** The typed values of a table: a switch is a boolean, a value flag what its parser returns. */
export type FlagValues<T extends FlagTable> = {
  [K in keyof T]: T[K] extends ValueFlag<infer V> ? V : boolean;
};

type ValueSpec<T> = Omit<ValueFlag<T>, "kind" | "parse"> & { parse: Parser<T> };

/** A flag with a value and a default: its value is always set. */
export function option<T>(spec: ValueSpec<T> & { default: string }): ValueFlag<T>;
/** A flag with a value and no default: its value may be undefined. */
export function option<T>(spec: ValueSpec<T> & { default?: undefined }): ValueFlag<T | undefined>;
export function option<T>(spec: ValueSpec<T>): ValueFlag<T> {
  return { kind: "value", ...spec } as ValueFlag<T>;
}

/** An on/off flag. */
export function toggle(spec: Described): SwitchFlag {
  return { kind: "switch", ...spec };
}

/** A command line read against a table. */
export interface ReadFlags<T extends FlagTable> {
  values: FlagValues<T>;
  positionals: string[];
  /** Flags given on the command line (not from the environment or a default). */
  given: ReadonlySet<keyof T>;
}

/**
 * Reads `args` strictly against `table`: each flag from the command line, else its environment
 * variable, else its default, through its parser. Every refusal is a UsageError naming the flag
 * (or the environment variable that set it) and pointing at the command's help.
 */
export function readFlags<T extends FlagTable>(
  command: string,
  table: T,
  args: readonly string[],
  env: Env,
  maxPositionals = 0,
): ReadFlags<T> {
  const hint = `Run './reviews ${command} --help' for the flags it takes.`;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: Object.fromEntries(
        Object.entries(table).map(([name, flag]) => [name, {
          type: flag.kind === "switch" ? "boolean" as const : "string" as const,
          ...(flag.short === undefined ? {} : { short: flag.short }),
        }]),
      ),
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(command, error), hint);
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).join(" ");
    throw new UsageError(`Unexpected argument for '${command}': ${extra}`, hint);
  }
  const given = new Set(Object.keys(parsed.values));
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(table)) {
    const fromArgs = parsed.values[name];
    const fromEnv = flag.env === undefined ? undefined : env[flag.env];
    const envSet = fromEnv !== undefined && fromEnv !== "";
    if (flag.kind === "switch") {
      values[name] = fromArgs === true || (envSet && truthy(fromEnv));
      continue;
    }
    const source = typeof fromArgs === "string"
      ? { raw: fromArgs, from: "" }
      : envSet
      ? { raw: fromEnv, from: ` (set by ${flag.env})` }
      : flag.default === undefined
      ? undefined
      : { raw: flag.default, from: " (its default)" };
    if (source === undefined) continue;
    const value = flag.parse(source.raw);
    if (value instanceof Invalid) {
      throw new UsageError(wordInvalid(`Flag --${name}`, value) + source.from, value.hint ?? hint);
    }
    values[name] = value;
  }
  return { values: values as FlagValues<T>, positionals: parsed.positionals, given };
}

/** `Flag --count takes a whole number ...`, or `Flag --hour: 'noon' is not an hour`. */
function wordInvalid(subject: string, invalid: Invalid): string {
  return /^(takes|needs) /.test(invalid.reason)
    ? `${subject} ${invalid.reason}`
    : `${subject}: ${invalid.reason}`;
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

/** Where the help column starts, and how wide a help line may grow. */
const HELP_COLUMN = 31;
const HELP_WIDTH = 96;

/**
 * One help section: a title line, then a line per flag with its help and, in brackets, its
 * environment variable and default. `note` closes the section.
 */
export function flagHelp(title: string, table: FlagTable, note?: string): string {
  const lines = [`${title}:`];
  for (const [name, flag] of Object.entries(table)) {
    const label = `${flag.short === undefined ? "" : `-${flag.short}, `}--${name}${
      flag.kind === "value" ? ` ${flag.arg}` : ""
    }`;
    const help = flag.help.split("\n").flatMap((line) => wrap(line, HELP_WIDTH - HELP_COLUMN));
    const bracket = [
      flag.env,
      flag.kind === "value" ? (flag.default ?? flag.defaultNote) : undefined,
    ].filter((part) => part !== undefined);
    if (bracket.length > 0) {
      const last = `${help[help.length - 1]} [${bracket.join(", ")}]`;
      if (HELP_COLUMN + last.length <= HELP_WIDTH) help[help.length - 1] = last;
      else help.push(`[${bracket.join(", ")}]`);
    }
    const indent = " ".repeat(HELP_COLUMN);
    const first = `  ${label}`;
    if (first.length < HELP_COLUMN - 1) lines.push(first.padEnd(HELP_COLUMN) + help[0]);
    else lines.push(first, indent + help[0]);
    for (const more of help.slice(1)) lines.push(indent + more);
  }
  if (note !== undefined) lines.push(`  ${note}`);
  return lines.join("\n");
}

/** Splits a line at spaces into lines of at most `width` characters (a longer word stays whole). */
function wrap(line: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of line.split(" ")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  return [...lines, current];
}

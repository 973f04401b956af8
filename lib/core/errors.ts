/** Exit codes of the CLI; stable, so scripts can branch on them. */
export enum ExitCode {
  Ok = 0,
  Failure = 1,
  Usage = 2,
  Unavailable = 3,
  BadInput = 4,
}

/** Base of every error the CLI reports as `error: ...` without a stack trace. */
export class ReviewsError extends Error {
  readonly exitCode: ExitCode = ExitCode.Failure;
  /** What the user can do about it, printed on its own line after the message. */
  readonly hint?: string;

  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** A command line that cannot be understood: unknown subcommand, flag or bad flag value. */
export class UsageError extends ReviewsError {
  override readonly exitCode = ExitCode.Usage;
}

/** A service that could not be reached or answered with an error that retrying will not fix. */
export class ConnectionError extends ReviewsError {
  override readonly exitCode = ExitCode.Unavailable;

  constructor(
    readonly service: "Kafka" | "Cassandra",
    readonly endpoints: readonly string[],
    detail: string,
    hint: string,
    options?: ErrorOptions,
    /** "reached": the service answered but refused us (authentication, protocol). */
    reach: "unreachable" | "reached" = "unreachable",
  ) {
    super(
      reach === "reached"
        ? `${service} at ${endpoints.join(", ")} refused the connection: ${detail}`
        : `Cannot reach ${service} at ${endpoints.join(", ")}: ${detail}`,
      hint,
      options,
    );
  }
}

/** Bad input data: names the file, the line (when known) and the field. */
export class InputError extends ReviewsError {
  override readonly exitCode = ExitCode.BadInput;

  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly problem: string,
    hint?: string,
  ) {
    const where = line === undefined ? file : `${file}:${line}`;
    super(`${where}: ${field === undefined ? "" : `${field}: `}${problem}`, hint);
  }
}

/** The message of any thrown value, for logs and error lines. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Races `work` against a timer, so a first contact with a service never hangs silently. */
export async function withTimeout<T>(work: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer after ${limitMs / 1000} s while ${what}`)),
      limitMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for `work` at most `ms`, ignoring how it ends; says whether it ended. For clean-up that
 * may hang on a service that does not answer (leaving a consumer group mid-join).
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(work.then(() => {}, () => {}), ms, "cleaning up");
    return true;
  } catch {
    return false;
  }
}

/** Where a command writes its diagnostics: progress and batch lines go to stderr, results to stdout. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Logs to stderr with an ISO timestamp; `debug` lines only when asked for. */
export class StderrLogger implements Logger {
  readonly #encoder = new TextEncoder();

  constructor(readonly verbose = false) {}

  info(message: string): void {
    this.#write("", message);
  }

  warn(message: string): void {
    this.#write("warning: ", message);
  }

  debug(message: string): void {
    if (this.verbose) this.#write("debug: ", message);
  }

  #write(level: string, message: string): void {
    const line = `${new Date().toISOString()} ${level}${message}\n`;
    Deno.stderr.writeSync(this.#encoder.encode(line));
  }
}

/** Keeps every line in memory; for tests. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];

  info(message: string): void {
    this.lines.push(message);
  }

  warn(message: string): void {
    this.lines.push(`warning: ${message}`);
  }

  debug(_message: string): void {}
}

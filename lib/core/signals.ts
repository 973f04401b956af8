import { Waiters } from "./waiters.ts";

/** A stop request shared by a long-running command and whoever may end it (a signal, a test). */
export interface Stopper {
  readonly stopped: boolean;
  stop(): void;
  /** Sleeps `ms`, waking early when stopped. */
  sleep(ms: number): Promise<void>;
  /** Releases signal handlers. */
  dispose(): void;
}

/** A stopper that only stops when told to. */
export function manualStopper(): Stopper {
  let stopped = false;
  // Not a race with a promise of the stop: that would keep every sleep ever slept until then.
  const sleepers = new Waiters();
  return {
    get stopped() {
      return stopped;
    },
    stop() {
      stopped = true;
      sleepers.wakeAll();
    },
    sleep(ms: number) {
      if (stopped) return Promise.resolve();
      return sleepers.wait({ ms });
    },
    dispose() {},
  };
}

/**
 * A stopper that SIGINT or SIGTERM stops. A second signal while stopping exits at once, for a
 * user whose first Ctrl-C waits on a service that does not answer.
 */
export function untilStopped(onFirst?: (signal: string) => void): Stopper {
  const stopper = manualStopper();
  const handlers: [Deno.Signal, () => void][] = [];
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => {
      if (stopper.stopped) {
        console.error(`\nReceived ${signal} again: exiting without waiting`);
        Deno.exit(130);
      }
      onFirst?.(signal);
      stopper.stop();
    };
    try {
      Deno.addSignalListener(signal, handler);
      handlers.push([signal, handler]);
    } catch {
      // Signals a platform lacks (SIGTERM on Windows) are skipped.
    }
  }
  return {
    ...stopper,
    get stopped() {
      return stopper.stopped;
    },
    dispose() {
      for (const [signal, handler] of handlers.splice(0)) {
        Deno.removeSignalListener(signal, handler);
      }
    },
  };
}

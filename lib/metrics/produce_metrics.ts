/** The metrics of `produce`: events sent, send errors, and the latency of each send request. */
import { Counter, Histogram, newRegistry, type Registry } from "./registry.ts";

const SEND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The producer's metrics in their own registry. */
export class ProduceMetrics {
  readonly registry: Registry = newRegistry();
  readonly #sent: Counter;
  readonly #errors: Counter;
  readonly #latency: Histogram;

  constructor() {
    const registers = [this.registry];
    this.#sent = new Counter({
      name: "reviews_produce_events_total",
      help: "Events acknowledged by Kafka.",
      registers,
    });
    this.#errors = new Counter({
      name: "reviews_produce_send_errors_total",
      help: "Send requests that failed and were retried.",
      registers,
    });
    this.#latency = new Histogram({
      name: "reviews_produce_send_latency_seconds",
      help: "Time from sending a request of events to Kafka's acknowledgement, retries included.",
      buckets: SEND_BUCKETS,
      registers,
    });
  }

  /** Counts an acknowledged request of `events` events that took `seconds`. */
  recordSent(events: number, seconds: number): void {
    this.#sent.inc(events);
    this.#latency.observe(seconds);
  }

  /** Counts a failed send that will be retried. */
  recordError(): void {
    this.#errors.inc();
  }
}

/** `./reviews produce` itself, loaded only to run it (see produce.ts). */
import type { Message } from "../lib/kafka/kafkajs.ts";
import type { Logger } from "../lib/core/log.ts";
import { KAFKA_FAILURES, reportWhilePending, retrying } from "../lib/core/retry.ts";
import { type Stopper, untilStopped } from "../lib/core/signals.ts";
import type { KafkaClient } from "../lib/kafka/client.ts";
import { openCatalog } from "../lib/pipeline/catalog.ts";
import { type Event, eventJson } from "../lib/pipeline/event.ts";
import type { ProduceOptions } from "./produce.ts";

/** How often produce says it is still waiting for an acknowledgement. */
const BROKER_WAIT_NOTICE_MS = 5_000;

/** What produce needs from the outside world. */
export interface ProduceDeps {
  kafka: KafkaClient;
  logger: Logger;
  out: (line: string) => void;
  /** Stops the run early (tests); signals stop it too. */
  stop?: Stopper;
  /** Called with every batch acknowledged by the broker (tests and benchmarks). */
  onSent?: (events: Event[]) => void;
}

/** What a produce run did. */
export interface ProduceResult {
  sent: number;
  errors: number;
  people: string[];
  seconds: number;
}

/** Sends events at the requested pace until --count is reached or a signal arrives. */
export async function runProduce(
  options: ProduceOptions,
  deps: ProduceDeps,
): Promise<ProduceResult> {
  const { dataset } = options;
  const { logger } = deps;
  await deps.kafka.requireTopics([dataset.topic], dataset.name);
  const catalog = await openCatalog(dataset, options, logger);
  const titles = [...catalog.entries.keys()];
  // Loaded here, not at start: Faker's name lists cost the other commands memory and start time.
  const { faker } = await import("@faker-js/faker/locale/en");
  faker.seed(options.seed ?? Math.floor(Math.random() * 2 ** 31));
  const pool = new Set([options.me]);
  while (pool.size < options.people + 1) pool.add(faker.person.fullName());
  const people = [...pool];
  const lastTime = new Map<string, number>();

  // Loaded here, like Faker: the Kafka client is for the run, not for help or flag errors.
  const { Lanes, PipelinedSender } = await import("../lib/kafka/lanes.ts");
  const lanes = await Lanes.open(deps.kafka, dataset.topic, options.lanes);
  const stopper = deps.stop ?? untilStopped();
  // Why sends fail right now, for /readyz; cleared by the next acknowledgement.
  let failing: string | undefined;
  const observed = options.metricsAddr === undefined
    ? undefined
    : (await import("../lib/metrics/serve.ts")).serveProduceMetrics(
      options.metricsAddr,
      dataset.topic,
      () => failing,
      logger,
    );
  const progress = new Progress(logger, options.count, options.progressEveryMs);
  const started = performance.now();
  let sent = 0;
  let errors = 0;
  // `queued` counts the acknowledged events and those in flight.
  let queued = 0;
  // Each lane sends its share in parallel. An idempotent producer retries by itself with the
  // same sequence numbers, so the broker drops a repeat; a failure that waiting cannot clear
  // ends the run.
  const sender = new PipelinedSender<{ event: Event; message: Message }>(
    lanes,
    async (lane, share) => {
      const requested = performance.now();
      await retrying(
        {
          what: `sending ${share.length} ${dataset.words.event}s`,
          kind: KAFKA_FAILURES,
          logger,
          stopper,
          consequence: `${sent} were acknowledged before`,
          onRetry: (error) => {
            errors++;
            failing = KAFKA_FAILURES.describe(error);
            observed?.metrics.recordError();
          },
        },
        () =>
          reportWhilePending(
            lanes.send(lane, share.map((item) => item.message)),
            BROKER_WAIT_NOTICE_MS,
            (seconds) =>
              logger.warn(
                `Waiting for Kafka at ${deps.kafka.config.brokers.join(", ")}: no ` +
                  `acknowledgement for ${seconds.toFixed(0)} s; ${share.length} events held, ` +
                  `sent once a broker answers (Ctrl-C stops)`,
              ),
          ),
      );
      sent += share.length;
      failing = undefined;
      observed?.metrics.recordSent(share.length, (performance.now() - requested) / 1000);
      deps.onSent?.(share.map((item) => item.event));
    },
  );
  try {
    while (!stopper.stopped && (options.count === undefined || queued < options.count)) {
      // Event n is due at started + n * period: late sends catch up in one batch.
      const elapsed = performance.now() - started;
      const due = options.periodMs === 0
        ? options.batchSize
        : Math.floor(elapsed / options.periodMs) + 1 - queued;
      if (due <= 0) {
        await sender.settle();
        const wait = (queued * options.periodMs) - elapsed;
        await stopper.sleep(Math.min(Math.max(wait, 1), 1_000));
        progress.maybeReport(sent, errors);
        continue;
      }
      const size = Math.min(due, options.batchSize, (options.count ?? Infinity) - queued);
      const events: Event[] = [];
      for (let i = 0; i < size; i++) {
        const person = faker.helpers.arrayElement(people);
        // Cassandra keeps milliseconds and the key is (person, hour, time, title): two events of
        // one person in one millisecond could share a key and overwrite each other. Each
        // person's clock therefore moves forward at least 1 ms per event.
        const time = Math.max(Date.now(), (lastTime.get(person) ?? 0) + 1);
        lastTime.set(person, time);
        events.push({
          person,
          item: faker.helpers.arrayElement(titles),
          time: new Date(time),
          measures: dataset.measures.map((m) => faker.number.int({ min: m.min, max: m.max })),
        });
      }
      const items = events.map((event) => ({
        event,
        message: { key: event.person, value: eventJson(event, dataset) } as Message,
      }));
      await sender.send(items);
      queued += events.length;
      progress.maybeReport(sent, errors);
    }
    await sender.settle();
  } finally {
    await sender.settle().catch(() => {});
    progress.done(sent);
    stopper.dispose();
    await observed?.server.close();
  }
  const seconds = (performance.now() - started) / 1000;
  deps.out(
    `Sent ${sent} ${dataset.words.event}s to ${dataset.topic} in ${seconds.toFixed(1)} s ` +
      `(${(sent / Math.max(seconds, 0.001)).toFixed(0)}/s), ${errors} send errors retried; ` +
      `${people.length} people, me = ${options.me}`,
  );
  return { sent, errors, people, seconds };
}

/** A progress line every few seconds; a bar on a terminal when the total is known. */
class Progress {
  readonly #bar: boolean;
  #last = performance.now();
  #lastSent = 0;
  readonly #started = performance.now();

  constructor(
    readonly logger: Logger,
    readonly total: number | undefined,
    readonly everyMs: number,
  ) {
    this.#bar = total !== undefined && Deno.stderr.isTerminal();
  }

  maybeReport(sent: number, errors: number): void {
    const now = performance.now();
    if (this.#bar && now - this.#last >= 200) {
      this.#drawBar(sent);
      this.#last = now;
    } else if (!this.#bar && now - this.#last >= this.everyMs) {
      const rate = (sent - this.#lastSent) / ((now - this.#last) / 1000);
      this.logger.info(`sent ${sent}, ${rate.toFixed(1)}/s, errors ${errors}`);
      this.#last = now;
      this.#lastSent = sent;
    }
  }

  done(sent: number): void {
    if (this.#bar) {
      this.#drawBar(sent);
      Deno.stderr.writeSync(new TextEncoder().encode("\n"));
    }
  }

  #drawBar(sent: number): void {
    const total = this.total ?? 1;
    const share = Math.min(sent / total, 1);
    const width = 30;
    const filled = Math.round(share * width);
    const rate = sent / Math.max((performance.now() - this.#started) / 1000, 0.001);
    const line = `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${sent}/${total} ` +
      `${(share * 100).toFixed(0)}% ${rate.toFixed(0)}/s `;
    Deno.stderr.writeSync(new TextEncoder().encode(line));
  }
}

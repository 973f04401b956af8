import assert from "node:assert/strict";
import { UsageError } from "../lib/core/errors.ts";
import { parseProduceOptions } from "./produce.ts";

Deno.test("parseProduceOptions() defaults: 10 people, one event every 5 s, no limit", () => {
  const options = parseProduceOptions([], { REVIEWS_ME: "Grace Hopper" });
  assert.equal(options.people, 10);
  assert.equal(options.periodMs, 5_000);
  assert.equal(options.count, undefined);
  assert.equal(options.me, "Grace Hopper");
  assert.equal(options.dataset.name, "movies");
  assert.equal(options.dataset.topic, "movie_reviews");
  assert.deepEqual(options.connection.kafka.brokers, ["127.0.0.1:9092"]);
});

Deno.test("parseProduceOptions() turns --rate into a period, and max into zero", async (t) => {
  const cases: [string[], number][] = [
    [["--rate", "50"], 20],
    [["--rate", "0.5"], 2_000],
    [["--rate", "max"], 0],
    [["--interval", "250ms"], 250],
  ];
  for (const [args, period] of cases) {
    await t.step(
      args.join(" "),
      () => assert.equal(parseProduceOptions(args, {}).periodMs, period),
    );
  }
});

Deno.test("parseProduceOptions() refuses conflicting or malformed pacing", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--rate", "5", "--interval", "1s"], /both set the pace/],
    [["--rate", "0"], /--rate takes events per second/],
    [["--count", "0"], /--count takes a whole number 1 or more/],
    [["--people=-1"], /--people takes a whole number/],
    [["--people", "-1"], /--people: a value starting with '-' must be written as --people=VALUE/],
    [["--seed", "x"], /--seed takes a whole number/],
    [["--me", "  "], /--me needs a non-empty name/],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), () => {
      assert.throws(
        () => parseProduceOptions(args, {}),
        (e) => e instanceof UsageError && pattern.test(e.message),
      );
    });
  }
});

Deno.test("parseProduceOptions() reads the dataset and connection settings from the environment", () => {
  const options = parseProduceOptions([], {
    REVIEWS_DATASET: "songs",
    KAFKA_BROKERS: "k1:9093, k2",
    KAFKA_USERNAME: "u",
    KAFKA_PASSWORD: "p",
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_TLS: "true",
  });
  assert.equal(options.dataset.name, "songs");
  assert.equal(options.dataset.topic, "song_listens");
  assert.deepEqual(options.connection.kafka.brokers, ["k1:9093", "k2:9092"]);
  assert.deepEqual(options.connection.kafka.sasl, {
    mechanism: "scram-sha-512",
    username: "u",
    password: "p",
  });
  assert.equal(options.connection.kafka.tls?.verifyHostname, true);
  // Flags win over the environment.
  assert.equal(
    parseProduceOptions(["--dataset", "movies"], { REVIEWS_DATASET: "songs" }).dataset.name,
    "movies",
  );
});

/** The CLI as a user meets it: help, usage errors, unreachable services, a missing Deno. */
import assert from "node:assert/strict";
import { assertNoStackTrace as noStackTrace, CLI, runCli } from "./support/helpers.ts";

Deno.test("./reviews --help lists every subcommand with one line each", async () => {
  const run = await runCli(["--help"]);
  assert.equal(run.code, 0);
  for (const command of ["produce", "stream", "init-schema", "query", "report"]) {
    assert.match(run.stdout, new RegExp(`^  ${command} +\\S`, "m"), command);
  }
  assert.equal(run.stderr, "");
});

Deno.test("./reviews <cmd> --help shows the command's flags with their defaults", async (t) => {
  const expected: Record<string, RegExp[]> = {
    produce: [
      /--people N .*\[10\]/,
      /--interval DURATION .*\[5s\]/,
      /--rate N\|max/,
      /--seed S/,
      /--me NAME/,
    ],
    stream: [
      /--interval DURATION .*\[30s\]/,
      /--available-now/,
      /--group ID/,
      /--concurrency N .*\[64\]/,
      /--metrics-addr HOST:PORT .*\n.*\[REVIEWS_METRICS_ADDR, off\]/,
    ],
    "init-schema": [
      /--partitions N .*\[3\]/,
      /--replication-factor N .*\[1\]/,
      /--keyspace-replication/,
    ],
    query: [
      /titles --person NAME --hour HOUR/,
      /avg COLUMN/,
      /sample/,
      /cql "STATEMENT"/,
      /day --person NAME --date YYYY-MM-DD/,
      /--json/,
    ],
    report: [/--person NAME/, /--hour HOUR/, /--out FILE .*\[-\]/, /--format FORMAT/],
  };
  for (const [command, patterns] of Object.entries(expected)) {
    await t.step(command, async () => {
      const run = await runCli([command, "--help"]);
      assert.equal(run.code, 0);
      for (const pattern of patterns) assert.match(run.stdout, pattern);
      assert.match(run.stdout, /--brokers LIST .*\n.*\[KAFKA_BROKERS, 127\.0\.0\.1:9092\]/);
      assert.match(run.stdout, /--contact-points/);
    });
  }
});

Deno.test("./reviews --version prints the version", async () => {
  const run = await runCli(["--version"]);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^reviews \d+\.\d+\.\d+\n$/);
});

Deno.test("usage errors name what was wrong, give a hint and exit 2 without a stack trace", async (t) => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /^error: Unknown command 'frobnicate'\nhint: .*--help/],
    [["strem"], /Did you mean 'stream'\?/],
    [
      ["produce", "--bogus"],
      /^error: Unknown flag for 'produce': --bogus\nhint: Run '\.\/reviews produce --help'/,
    ],
    [["stream", "--interval", "30"], /--interval: '30' is not a duration/],
    [["produce", "--rate", "fast"], /--rate takes events per second/],
    [
      ["query", "avg", "loudness", "--person", "a", "--hour", "2024-03-01 10:00"],
      /Unknown numeric column 'loudness' for the movies dataset\nhint: Valid columns: rating, duration, seasons, release_year/,
    ],
    [["query", "titles", "--person", "a", "--hour", "noon"], /--hour: 'noon' is not an hour/],
    [["query", "titles", "--hour", "2024-03-01 10:00"], /needs --person NAME/],
    [
      ["init-schema", "--dataset", "books"],
      /Unknown dataset 'books'\nhint: Valid datasets: movies, songs/,
    ],
    [
      ["init-schema", "--keyspace-replication", "dc1"],
      /--keyspace-replication: 'dc1' is not a replication/,
    ],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), async () => {
      const run = await runCli(args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, pattern);
      assert.equal(run.stdout, "");
      noStackTrace(run.stderr);
    });
  }
});

Deno.test("an unreachable broker is a clear error within seconds", async () => {
  const run = await runCli(["produce", "--brokers", "127.0.0.1:1", "--count", "1"]);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /^error: Cannot reach Kafka at 127\.0\.0\.1:1: .*ECONNREFUSED/m);
  assert.match(run.stderr, /^hint: Check that a broker is listening there/m);
  assert.ok(run.seconds < 20, `took ${run.seconds} s`);
  noStackTrace(run.stderr);
});

Deno.test("an unreachable Cassandra is a clear error within seconds", async () => {
  const run = await runCli(["query", "sample", "--contact-points", "127.0.0.1:1"]);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /^error: Cannot reach Cassandra at 127\.0\.0\.1:1: .*ECONNREFUSED/m);
  assert.match(run.stderr, /^hint: Check that Cassandra is listening there/m);
  assert.ok(run.seconds < 20, `took ${run.seconds} s`);
  noStackTrace(run.stderr);
});

Deno.test("--debug adds the stack trace to an error", async () => {
  const run = await runCli(["query", "sample", "--contact-points", "127.0.0.1:1", "--debug"]);
  assert.equal(run.code, 3);
  assert.match(run.stderr, /NoHostAvailableError/);
});

const systemDeno = ["/usr/bin/deno", "/bin/deno"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

Deno.test({
  name: systemDeno
    ? `./reviews says how to install Deno when there is none (skipped: ${systemDeno} exists)`
    : "./reviews says how to install Deno when there is none",
  ignore: systemDeno !== undefined,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(CLI, `${dir}/reviews`);
    await Deno.chmod(`${dir}/reviews`, 0o755);
    const output = await new Deno.Command(`${dir}/reviews`, {
      args: ["--help"],
      env: { PATH: "/usr/bin:/bin" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.notEqual(output.code, 0);
    assert.match(stderr, /error: Deno 2 is not installed/);
    assert.match(stderr, /install_deno\.sh/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("produce and stream name a missing topic and say to run init-schema", async () => {
  for (const command of [["produce", "--count", "1"], ["stream", "--available-now"]]) {
    const run = await runCli([...command, "--topic", "no_such_topic_here", "--keyspace", "movies"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /error: Kafka topic(s)? no_such_topic_here.* not exist/);
    assert.match(run.stderr, /hint: Run '\.\/reviews init-schema --dataset movies' first/);
    assert.ok(run.seconds < 15, `${command[0]} took ${run.seconds} s`);
  }
});

Deno.test("a catalog that cannot be read is a bad-input error naming the file (exit 4)", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/other.csv`, "name,year\nHeat,1995\n");
    await Deno.writeTextFile(
      `${dir}/map.json`,
      '{"key": "track_name", "attributes": {"tempo": {"column": 7}}}',
    );
    const cases: [string[], RegExp][] = [
      [
        ["--catalog", `${dir}/missing.csv`],
        /error: .*missing\.csv: cannot read the catalog: no such file/,
      ],
      [
        ["--catalog", `${dir}/other.csv`],
        /error: .*other\.csv:1: title: no key column 'title' in the header/,
      ],
      [
        ["--dataset", "songs", "--catalog-mapping", `${dir}/map.json`],
        /error: .*map\.json: attributes\.tempo\.column: must be a column name/,
      ],
    ];
    for (const [args, pattern] of cases) {
      await t.step(args.join(" "), async () => {
        const run = await runCli(["stream", "--available-now", ...args]);
        assert.equal(run.code, 4, run.stderr);
        assert.match(run.stderr, pattern);
        noStackTrace(run.stderr);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the wrapper gives stream its memory-bounding V8 flags and the other commands V8's defaults", async () => {
  // A stand-in `deno` first on PATH prints the arguments the wrapper runs it with.
  const bin = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${bin}/deno`, '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
    const argsOf = async (...args: string[]) => {
      const { stdout } = await new Deno.Command(CLI, {
        args,
        env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
      }).output();
      return new TextDecoder().decode(stdout).split("\n");
    };
    const memory = "--v8-flags=--max-semi-space-size=2,--heap-growing-percent=80";
    assert.ok((await argsOf("stream", "--available-now")).includes(memory));
    assert.ok((await argsOf("--debug", "stream")).includes(memory));
    for (const command of ["produce", "query", "init-schema", "report"]) {
      const args = await argsOf(command);
      assert.ok(!args.some((arg) => arg.startsWith("--v8-flags")), `${command}: ${args}`);
      assert.equal(args.at(-2), command);
    }
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

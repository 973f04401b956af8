import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import cassandra from "cassandra-driver";
import { withStockDriver } from "./driver_patches.ts";
import { markSharedTail } from "./shared_values.ts";
// @ts-types="./driver_internals.d.ts"
import * as requests from "cassandra-driver/lib/requests.js";
// @ts-types="./driver_internals.d.ts"
import Encoder from "cassandra-driver/lib/encoder.js";
// @ts-types="./driver_connection.d.ts"
import Connection from "cassandra-driver/lib/connection.js";
// @ts-types="./driver_prepare_handler.d.ts"
import PrepareHandler from "cassandra-driver/lib/prepare-handler.js";
// @ts-types="./driver_tokenizer.d.ts"
import { Murmur3Tokenizer } from "cassandra-driver/lib/tokenizer.js";

const { dataTypes, Long, unset, consistencies } = cassandra.types;

/** A request the driver can write: what the patch must not change. */
interface Writable {
  write(encoder: Encoder, streamId: number): Uint8Array;
}

/** Execution options as the requests read them, every getter answering from `values`. */
function executionOptions(values: Record<string, unknown> = {}): unknown {
  return new Proxy({}, {
    get: (_, name: string) => () => values[name] ?? (name.startsWith("is") ? false : null),
  });
}

const column = (code: number) => ({ type: { code } });
const QUERY_ID = Buffer.from("0123456789abcdef");
const RESULT_ID = Buffer.from("fedcba9876543210");
/** One column of each type the stream writes, and of some it does not. */
const COLUMNS = [
  column(dataTypes.text),
  column(dataTypes.varchar),
  column(dataTypes.timestamp),
  column(dataTypes.int),
  column(dataTypes.int),
  column(dataTypes.bigint),
  column(dataTypes.double),
  column(dataTypes.boolean),
  column(dataTypes.ascii),
  column(dataTypes.blob),
];

/** Rows whose texts are long enough for the patch's encoded-text cache. */
const LONG_TEXT_ROWS: unknown[][] = [
  ["Ada", "a cast list, ".repeat(9), new Date(0), 1, 2, null, 0, true, "Zoë 東京 🎬 ".repeat(4)],
  [
    "\udc00 a lone low surrogate, long enough",
    "h",
    new Date(0),
    1,
    2,
    null,
    0,
    true,
    "é".repeat(16),
  ],
];

/** Rows with the values a batch meets: common, edge, missing, and ones the fast path leaves. */
const ROWS: unknown[][] = [
  ["Ada", "2024-03-01 10:00", new Date(1_709_287_327_123), 7, -2_147_483_648, Long.fromNumber(5)],
  ["Zoë 東京 🎬", "", new Date(-1), 2_147_483_647, 0, Long.fromString("-9"), 1.5, true, "ok"],
  ["\ud800 lone surrogate", "x".repeat(300), new Date(2 ** 40 + 1), -0, 1, null, -0.25, false],
  [null, undefined, unset, 2.5, "12", Long.ZERO, Infinity, null, undefined, Buffer.from([0, 1])],
  [Buffer.from("bytes as they are"), "text", 1_709_287_327_123, 3, 4, Long.MAX_VALUE, 0, true],
  ["time as text", "y", "2024-03-01T10:00:00Z", 1, 2, Long.MIN_VALUE, NaN, false, "", null],
  // Times as milliseconds: before 1970, the largest exact one, and a fraction (the driver's).
  ["ms", "z", -1, 1, 2],
  ["ms", "z", Number.MAX_SAFE_INTEGER, 1, 2],
  ["ms", "z", -(2 ** 40) - 1, 1, 2],
  ["ms", "z", 1.5, 1, 2],
  // Long texts (encoded once, then copied): ASCII, not, and with a lone surrogate; twice each.
  ...LONG_TEXT_ROWS,
  ...LONG_TEXT_ROWS,
];

/** Values many rows end with (a catalog entry's), for the columns from the seventh on. */
const SHARED_A = [1.5, true, "a shared text", Buffer.from([9, 8])];
const SHARED_B = [undefined, false, undefined, null];

/** Rows that end with SHARED_A or SHARED_B, marked so; each shared array more than once. */
function sharedRows(): unknown[][] {
  const row = (head: unknown[], shared: unknown[]) => {
    const values = [...head.slice(0, 6), ...shared];
    markSharedTail(values, shared);
    return values;
  };
  return [
    row(ROWS[0], SHARED_A),
    row(ROWS[1], SHARED_B),
    row(ROWS[2], SHARED_A),
    row(ROWS[4], SHARED_B),
    row(ROWS[5], SHARED_A),
  ];
}

/** COLUMNS but a float where the shared values' first one goes: their bytes must change too. */
const OTHER_COLUMNS = COLUMNS.map((c, i) => i === 6 ? column(dataTypes.float) : c);

/**
 * A batch of one prepared statement, as the driver hands it over once prepared: every row with the
 * same statement id and metadata, unless `sharedMeta` is false (each row its own copy).
 */
function batch(
  options: Record<string, unknown>,
  rows = ROWS,
  sharedMeta = true,
  columns = COLUMNS,
): Writable {
  const meta = { columns };
  const queries = rows.map((params) => ({
    query: "INSERT ...",
    params,
    queryId: QUERY_ID,
    meta: sharedMeta ? meta : { columns },
  }));
  return new requests.BatchRequest(queries, executionOptions(options)) as Writable;
}

/** Every kind of request, with options that reach each branch of the frame writers. */
function requestsToWrite(): [string, Writable][] {
  const payload = { key: Buffer.from("value") };
  return [
    ["unlogged batch", batch({ isBatchLogged: false })],
    ["logged batch", batch({ isBatchLogged: true })],
    ["counter batch", batch({ isBatchCounter: true })],
    [
      "batch with timestamp, serial consistency, keyspace, tracing and payload",
      batch({
        getOrGenerateTimestamp: Long.fromNumber(1_709_287_327_123_000),
        getSerialConsistency: consistencies.localSerial,
        getKeyspace: "reviews",
        isQueryTracing: true,
        getCustomPayload: payload,
        getConsistency: consistencies.localQuorum,
      }),
    ],
    ["batch of one row", batch({}, [ROWS[0]])],
    ["batch whose rows carry their own metadata", batch({}, ROWS, false)],
    ["batch with a row longer than the statement", batch({}, [[...ROWS[3], "extra"]])],
    ["batch whose rows end with shared values", batch({}, sharedRows())],
    [
      "batch of another statement ending with the same shared values",
      batch({}, sharedRows(), true, OTHER_COLUMNS),
    ],
    ["batch of shared values in rows with their own metadata", batch({}, sharedRows(), false)],
    [
      "batch with timestamp, serial consistency and tracing",
      batch({
        getOrGenerateTimestamp: Long.fromNumber(-5),
        getSerialConsistency: consistencies.serial,
        isQueryTracing: true,
      }),
    ],
    [
      "batch of text queries with hints",
      new requests.BatchRequest(
        [{ query: "INSERT a", params: ["x", 1] }, { query: "INSERT b", params: [2.5] }],
        executionOptions({ getHints: [["text", "int"], ["double"]] }),
      ) as Writable,
    ],
    [
      "execute",
      new requests.ExecuteRequest(
        "SELECT",
        QUERY_ID,
        ROWS[0],
        executionOptions({ getFetchSize: 100, getPageState: Buffer.from("page") }),
        { columns: COLUMNS, resultId: RESULT_ID },
      ) as Writable,
    ],
    [
      "query",
      new requests.QueryRequest(
        "SELECT * FROM t WHERE a = ?",
        ["é"],
        executionOptions({ getKeyspace: "reviews", getCustomPayload: payload }),
      ) as Writable,
    ],
    ["prepare", new requests.PrepareRequest("SELECT * FROM t", "reviews") as Writable],
    ["startup", new requests.StartupRequest({ applicationName: "reviews" }) as Writable],
    ["register", new requests.RegisterRequest(["SCHEMA_CHANGE", "TOPOLOGY_CHANGE"]) as Writable],
    ["auth response", new requests.AuthResponseRequest(Buffer.from("token")) as Writable],
    ["credentials", new requests.CredentialsRequest("user", "pässword") as Writable],
    ["options", requests.options as Writable],
  ];
}

/** The frame, or the error's message when writing throws. */
function frameOf(request: Writable, encoder: Encoder, streamId: number): string {
  try {
    return Buffer.from(request.write(encoder, streamId)).toString("hex");
  } catch (error) {
    return `throws ${(error as Error).name}: ${(error as Error).message}`;
  }
}

Deno.test("the patched driver writes every request's frame byte for byte as the driver does", async (t) => {
  // v2 (one-byte stream ids), v4 (what Cassandra 5 speaks to this driver), DSE v2.
  for (const version of [2, 4, 0x42]) {
    const encoder = new Encoder(version, { encoding: { useUndefinedAsUnset: true } });
    for (const [name, request] of requestsToWrite()) {
      if (version === 2 && /batch|execute|query/.test(name)) continue; // unset needs v4
      await t.step(`protocol ${version}: ${name}`, async () => {
        const patched = frameOf(request, encoder, 17);
        const stock = await withStockDriver(() => frameOf(request, encoder, 17));
        assert.equal(patched, stock);
      });
    }
  }
});

Deno.test("the patched driver fails on a value the driver refuses, with the driver's error", async () => {
  const encoder = new Encoder(4, { encoding: { useUndefinedAsUnset: true } });
  const request = batch({}, [["a", "b", new Date(NaN)], ["a", "b", new Date(0), "not a number"]]);
  const patched = frameOf(request, encoder, 1);
  assert.match(patched, /^throws TypeError: Invalid date/);
  assert.equal(patched, await withStockDriver(() => frameOf(request, encoder, 1)));
});

Deno.test("frames larger than the first buffer grow whole, and each request gets its own", () => {
  const encoder = new Encoder(4, { encoding: { useUndefinedAsUnset: true } });
  const rows = Array.from({ length: 500 }, (_, i) => [`person ${i}`, "h", new Date(i), i, i]);
  const first = Buffer.from(batch({}, rows).write(encoder, 1));
  const second = batch({}, rows.slice(0, 1)).write(encoder, 2);
  assert.ok(first.length > 10_000);
  assert.equal(Buffer.from(batch({}, rows).write(encoder, 1)).compare(first), 0);
  assert.notEqual(second.buffer, first.buffer);
});

Deno.test("a batch's statements resolve to what the driver resolves them to", async (t) => {
  const looked: string[] = [];
  const client = {
    metadata: {
      getPreparedInfo(keyspace: string, query: string) {
        looked.push(query);
        return { queryId: Buffer.from(`${keyspace}.${query}`), meta: { columns: [] } };
      },
    },
  };
  const cases: [string, unknown[]][] = [
    ["one statement", [{ query: "A", params: [1] }, { query: "A", params: [2] }, { query: "A" }]],
    ["two statements", [{ query: "A", params: [1] }, { query: "B", params: [2] }]],
    ["named values", [{ query: "A", params: { x: 1 } }, { query: "A", params: { x: 2 } }]],
    ["texts", ["A", "A"]],
    ["one row", [{ query: "A", params: [1] }]],
  ];
  for (const [name, queries] of cases) {
    await t.step(name, async () => {
      const resolve = () =>
        PrepareHandler.getPreparedMultiple(client, null, queries, "ks").then(
          (items) => JSON.stringify(items),
          (error: Error) => `throws ${error.message}`,
        );
      looked.length = 0;
      const patched = await resolve();
      const patchedLookups = looked.length;
      const stock = await withStockDriver(resolve);
      assert.equal(patched, stock);
      if (name === "one statement") assert.equal(patchedLookups, 1);
    });
  }
});

Deno.test("a connection's idle timer is refreshed on each write, and fires after the last", async () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let heartbeats = 0;
  const connection = Object.create(Connection.prototype) as Connection;
  connection.options = { pooling: { heartBeatInterval: 20 } };
  connection._idleTimeout = null;
  connection._idleTimeoutHandler = () => heartbeats++;

  // The first write arms a timer; the later ones refresh that same timer.
  connection._setIdleTimeout();
  const timer = connection._idleTimeout!;
  let refreshes = 0;
  const refresh = timer.refresh.bind(timer);
  timer.refresh = () => (refreshes++, refresh());
  connection._setIdleTimeout();
  connection._setIdleTimeout();
  assert.equal(connection._idleTimeout, timer);
  assert.equal(refreshes, 2);

  // Idle: one heartbeat. A write after it arms the fired timer again: one more.
  await sleep(150);
  assert.equal(heartbeats, 1);
  connection._setIdleTimeout();
  await sleep(150);
  assert.equal(heartbeats, 2);

  // A connection that failed has its timer cleared (null), and gets a new one on its next write.
  connection._idleTimeout = null;
  connection._setIdleTimeout();
  assert.notEqual(connection._idleTimeout, timer);
  await sleep(150);
  assert.equal(heartbeats, 3);

  // No heartbeat interval: no timer.
  connection.options.pooling.heartBeatInterval = 0;
  connection._idleTimeout = null;
  connection._setIdleTimeout();
  assert.equal(connection._idleTimeout, null);
});

Deno.test("a routing key's token is the driver's, remembered from the second time on", async () => {
  const tokenizer = new Murmur3Tokenizer();
  // Every length around Murmur3's 16-byte blocks, bytes of every value, and keys that differ in
  // their last byte only.
  const keys = Array.from(
    { length: 40 },
    (_, length) => Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length * 11) % 256)),
  );
  keys.push(
    Buffer.from([...keys[33].subarray(0, 32), 0]),
    Buffer.from([...keys[33].subarray(0, 32), 1]),
  );
  const stock = await withStockDriver(() => keys.map((key) => tokenizer.hash(key).toString()));
  assert.equal(new Set(stock).size, keys.length);
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(keys.map((key) => tokenizer.hash(key).toString()), stock);
  }
  const first = tokenizer.hash(keys[20]);
  assert.equal(tokenizer.hash(Buffer.from(keys[20])), first);
  // The stock driver computes a new token each time.
  const again = await withStockDriver(() => [tokenizer.hash(keys[20]), tokenizer.hash(keys[20])]);
  assert.notEqual(again[0], again[1]);
  assert.equal(again[0].compare(first), 0);
});

/**
 * cassandra-driver's request frames, written into one buffer instead of one Buffer per field, and
 * a batch's one statement looked up once.
 *
 * The driver builds every request frame as a list of small Buffers, one for each length prefix,
 * flag byte and value, and concatenates them at the end. An UNLOGGED batch of 20 rows of 13
 * columns is about 600 of them. Making a Buffer is costly in Deno's Node compatibility layer (a
 * Uint8Array subclass built through a slow path, then collected), and profiling the stream put
 * a quarter of its thread in frame writing and much of its garbage collection behind it. The
 * FrameWriter methods below write the same bytes, in the same order, into one buffer that grows
 * by doubling; `write()` puts the header in front and hands out the frame. Every request type
 * still decides what goes into its frame.
 *
 * Batches go one step further. The driver encodes each value into a Buffer of its own before
 * writing it; in a batch, the common cases (bytes, text, int, timestamp) are encoded straight into
 * the frame instead (writeValue). A batch of one prepared statement, what the stream sends, is
 * written here whole, row after row, without the driver's closures per row and per value; any
 * other batch is written by the driver with an encoder that defers each value to the frame
 * writer. Every other value, and every other request, is encoded by the driver's Encoder as
 * before. Texts of 16 characters or more are encoded once and copied from then on (writeUtf8).
 *
 * Each connection re-arms its idle timer (a heartbeat after `heartBeatInterval` without writes)
 * after every request it writes, with a new timer each time and the old one cleared: about 2 µs in
 * Deno, and the stream writes thousands of requests a second. The timer is now refreshed instead,
 * a tenth of that, for the same deadline.
 *
 * Each request's read timeout runs on one timer shared by all requests, instead of a timer made
 * and cleared per request (read_timeouts.ts).
 *
 * To route a request to the nodes that own its partition, the driver hashes the partition key
 * (Murmur3, on 64-bit integers made of objects: about 1 µs and a few dozen allocations). The
 * stream sends many batches to each partition, so the token of a key is now remembered (bounded).
 *
 * And before a batch is written, the driver looks its statement up among the prepared ones once
 * per row, each an async call keyed by keyspace plus query text. A batch whose rows all run one
 * statement (what the stream sends) now looks it up once; any other batch goes the driver's way.
 *
 * lib/cassandra/client.ts imports this module, so the patch is in place before any request is
 * written; tests check that requests of every kind write byte-identical frames with and without
 * it.
 */
import { Buffer } from "node:buffer";
// The driver's timers are Node's (with refresh()), not the web's numbers.
import { setTimeout } from "node:timers";
// deno.json maps these to files of the same cassandra-driver version as "cassandra-driver".
// @ts-types="./driver_internals.d.ts"
import { FrameWriter } from "cassandra-driver/lib/writers.js";
// @ts-types="./driver_internals.d.ts"
import {
  dataTypes,
  frameFlags,
  FrameHeader,
  opcodes,
  protocolVersion,
  unset,
} from "cassandra-driver/lib/types/index.js";
// @ts-types="./driver_internals.d.ts"
import { BatchRequest, type Encoder } from "cassandra-driver/lib/requests.js";
// @ts-types="./driver_connection.d.ts"
import Connection from "cassandra-driver/lib/connection.js";
// @ts-types="./driver_prepare_handler.d.ts"
import PrepareHandler from "cassandra-driver/lib/prepare-handler.js";
// @ts-types="./driver_tokenizer.d.ts"
import { Murmur3Tokenizer } from "cassandra-driver/lib/tokenizer.js";
import { BoundedMemo } from "../core/memo.ts";
import { sharedTailOf } from "./shared_values.ts";
// @ts-types="./driver_operation_state.d.ts"
import OperationState from "cassandra-driver/lib/operation-state.js";
import { operationStateMethods } from "./read_timeouts.ts";

/** The state a FrameWriter carries with the patch: its buffer and where the body ends. */
interface FrameState {
  opcode: number;
  bodyLength: number;
  frame?: Buffer;
  end: number;
  /** Whether `frame` is the batch scratch buffer, copied out (exact size) by write(). */
  scratch?: boolean;
}

/** Room kept at the front for the largest header (protocol v3 and later: 9 bytes). */
const HEADER_ROOM = 9;
/** A first buffer that holds most requests whole (a 5 KiB batch grows it once). */
const FIRST_SIZE = 1024;

/**
 * One buffer that batch frames are built in, then copied out at their exact size: a batch is
 * written many times a second, and growing a fresh buffer for each (1, 2, 4, 8 KiB) made more
 * garbage than the frames themselves. Lent only for the span of one batch request's write()
 * (which builds one frame, synchronously), so no two frames ever share it.
 */
let batchScratch = Buffer.allocUnsafe(16 * 1024);
/** Whether a batch write is under way and its frame has not taken the scratch buffer yet. */
let scratchFree = false;

/** Reserves `length` bytes at the end of the body; returns where they start. */
function reserve(state: FrameState, length: number): number {
  let frame = state.frame;
  if (frame === undefined) {
    if (scratchFree) {
      scratchFree = false;
      state.scratch = true;
      frame = batchScratch;
    } else {
      frame = Buffer.allocUnsafe(Math.max(FIRST_SIZE, HEADER_ROOM + length));
    }
    state.frame = frame;
    state.end = HEADER_ROOM;
  }
  if (state.end + length > frame.length) {
    const grown = Buffer.allocUnsafe(Math.max(2 * frame.length, state.end + length));
    grown.set(frame.subarray(0, state.end), 0);
    frame = grown;
    state.frame = grown;
    if (state.scratch) batchScratch = grown;
  }
  const at = state.end;
  state.end += length;
  state.bodyLength += length;
  return at;
}

/** FrameWriter's patched methods; each writes what the driver's method of the same name writes. */
const frameMethods: Record<string, unknown> = {
  add(this: FrameState, bytes: Uint8Array): void {
    const at = reserve(this, bytes.length);
    this.frame!.set(bytes, at);
  },
  writeShort(this: FrameState, num: number): void {
    const at = reserve(this, 2);
    this.frame!.writeUInt16BE(num, at);
  },
  writeInt(this: FrameState, num: number): void {
    const at = reserve(this, 4);
    this.frame!.writeInt32BE(num, at);
  },
  writeByte(this: FrameState, num: number): void {
    const at = reserve(this, 1);
    // As Buffer.from([num]) stores it: the number modulo 256.
    this.frame![at] = num;
  },
  writeBytes(this: FrameState & FrameWriter, bytes: Uint8Array | null | typeof unset): void {
    if (bytes === DEFERRED) return writeDeferred(this);
    if (bytes === null) return this.writeInt(-1);
    if (bytes === unset) return this.writeInt(-2);
    const value = bytes as Uint8Array;
    const at = reserve(this, 4 + value.length);
    this.frame!.writeInt32BE(value.length, at);
    this.frame!.set(value, at + 4);
  },
  writeShortBytes(this: FrameState & FrameWriter, bytes: Uint8Array | null): void {
    if (bytes === null) return this.writeShort(-1);
    const at = reserve(this, 2 + bytes.length);
    this.frame!.writeUInt16BE(bytes.length, at);
    this.frame!.set(bytes, at + 2);
  },
  writeString(this: FrameState, str: string): void {
    if (typeof str === "undefined") throw new Error("can not write undefined");
    const length = Buffer.byteLength(str, "utf8");
    const at = reserve(this, 2 + length);
    this.frame!.writeUInt16BE(length, at);
    this.frame!.write(str, at + 2, length, "utf8");
  },
  writeLString(this: FrameState, str: string): void {
    const length = Buffer.byteLength(str, "utf8");
    const at = reserve(this, 4 + length);
    this.frame!.writeInt32BE(length, at);
    this.frame!.write(str, at + 4, length, "utf8");
  },
  write(this: FrameState, version: number, streamId: number, flags?: number): Buffer {
    if (this.frame === undefined) reserve(this, 0);
    const header = new FrameHeader(version, flags || 0, streamId, this.opcode, this.bodyLength)
      .toBuffer();
    const start = HEADER_ROOM - header.length;
    this.frame!.set(header, start);
    if (!this.scratch) return this.frame!.subarray(start, this.end);
    const frame = Buffer.allocUnsafe(this.end - start);
    frame.set(this.frame!.subarray(start, this.end), 0);
    return frame;
  },
};

/**
 * What a deferring encoder returns instead of a Buffer: "the value you were just asked to
 * encode". The driver passes it straight to writeBytes, which writes that value.
 */
const DEFERRED = Object.freeze({ deferred: true }) as unknown as Uint8Array;
const deferred: { encoder?: Encoder; value: unknown; type: unknown } = {
  value: undefined,
  type: null,
};

const deferringEncoders = new WeakMap<Encoder, Encoder>();

/** The driver's encoder, but `encode()` only notes the value for writeBytes to write. */
function deferring(encoder: Encoder): Encoder {
  let wrapper = deferringEncoders.get(encoder);
  if (wrapper === undefined) {
    wrapper = Object.create(encoder) as Encoder;
    wrapper.encode = (value: unknown, type: unknown) => {
      deferred.encoder = encoder;
      deferred.value = value;
      deferred.type = type;
      return DEFERRED;
    };
    deferringEncoders.set(encoder, wrapper);
  }
  return wrapper;
}

/** Writes the deferred value as the driver would: `[int length][bytes]`, or -1 / -2 alone. */
function writeDeferred(state: FrameState & FrameWriter): void {
  const { encoder, value, type } = deferred;
  deferred.value = undefined;
  writeValue(state, value, type, encoder!);
}

/**
 * Writes one bound value as the driver's Encoder would encode it for a column of `type`: bytes,
 * text, int and timestamp straight into the frame, anything else through the Encoder.
 */
function writeValue(
  state: FrameState & FrameWriter,
  value: unknown,
  type: unknown,
  encoder: Encoder,
): void {
  const code = (type as { code?: unknown } | null)?.code;
  if (typeof value === "string") {
    if (code === dataTypes.text || code === dataTypes.varchar) return writeUtf8(state, value);
  } else if (typeof value === "number") {
    if (code === dataTypes.int && (value | 0) === value) {
      const at = reserve(state, 8);
      state.frame!.writeInt32BE(4, at);
      state.frame!.writeInt32BE(value, at + 4);
      return;
    }
    if (code === dataTypes.timestamp && Number.isSafeInteger(value)) {
      return writeMillis(state, value);
    }
  } else if (value instanceof Buffer) {
    return state.writeBytes(value);
  } else if (value instanceof Date && code === dataTypes.timestamp) {
    const millis = value.getTime();
    if (!Number.isNaN(millis)) return writeMillis(state, millis);
  }
  state.writeBytes(encoder.encode(value, type));
}

/** A timestamp: `[int 8]` and the milliseconds as a 64-bit big-endian integer, high word first. */
function writeMillis(state: FrameState, millis: number): void {
  const at = reserve(state, 12);
  state.frame!.writeInt32BE(8, at);
  state.frame!.writeInt32BE(Math.floor(millis / 2 ** 32), at + 4);
  state.frame!.writeUInt32BE(millis >>> 0, at + 8);
}

/**
 * Longer texts, encoded once with their length: a catalog's attributes (cast lists, descriptions)
 * come back in every row of their title, as the same strings. A string hashes once and then
 * matches by identity, so a hit costs a lookup and one copy instead of a loop over its
 * characters. Emptied whenever it grows past its bound.
 */
const encodedTexts = new Map<string, Buffer>();
const CACHED_FROM_LENGTH = 16;
const CACHE_BYTES = 8 * 1024 * 1024;
let cachedBytes = 0;

/** A text value's UTF-8 bytes with their length, as the driver writes them. */
function writeUtf8(state: FrameState, text: string): void {
  if (text.length < CACHED_FROM_LENGTH) return encodeUtf8(state, text);
  let encoded = encodedTexts.get(text);
  if (encoded === undefined) {
    const length = Buffer.byteLength(text, "utf8");
    encoded = Buffer.allocUnsafe(4 + length);
    encoded.writeInt32BE(length, 0);
    encoded.write(text, 4, length, "utf8");
    if (cachedBytes + encoded.length > CACHE_BYTES) {
      encodedTexts.clear();
      cachedBytes = 0;
    }
    encodedTexts.set(text, encoded);
    cachedBytes += encoded.length;
  }
  const at = reserve(state, encoded.length);
  state.frame!.set(encoded, at);
}

/** Encodes `[int length][UTF-8 bytes]` into the frame; ASCII (most text) byte by byte. */
function encodeUtf8(state: FrameState, text: string): void {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const at = reserve(state, 4 + text.length);
    const frame = state.frame!;
    frame.writeInt32BE(text.length, at);
    for (let i = 0; i < text.length; i++) frame[at + 4 + i] = text.charCodeAt(i);
    return;
  }
  const length = Buffer.byteLength(text, "utf8");
  const at = reserve(state, 4 + length);
  state.frame!.writeInt32BE(length, at);
  state.frame!.write(text, at + 4, length, "utf8");
}

/** The batch request's write(): one prepared statement written here, any other batch deferring. */
const stockBatchWrite = BatchRequest.prototype.write;
function batchWrite(this: BatchRequest, encoder: Encoder, streamId: number): Uint8Array {
  scratchFree = true;
  try {
    return writePreparedBatch(this, encoder, streamId) ??
      stockBatchWrite.call(this, deferring(encoder), streamId);
  } finally {
    scratchFree = false;
  }
}

/** A batch item once the driver has prepared it. */
interface PreparedItem {
  params?: unknown[] | null;
  queryId?: Uint8Array;
  meta?: { columns: { type: unknown }[] };
}

const WITH_SERIAL_CONSISTENCY = 0x10;
const WITH_DEFAULT_TIMESTAMP = 0x20;

/**
 * A batch whose rows all run one prepared statement (what the stream sends), written as the
 * driver's write() would: the same bytes, without its closures per row and per value. Undefined
 * for any other batch, and for protocols whose batch flags differ (DSE, before v3), before
 * anything is written.
 */
function writePreparedBatch(
  request: BatchRequest,
  encoder: Encoder,
  streamId: number,
): Uint8Array | undefined {
  // No queries at all: the driver's write() throws its own error for that.
  const queries = (request.queries ?? []) as readonly PreparedItem[];
  const first = queries[0];
  const columns = first?.meta?.columns;
  const version = encoder.protocolVersion;
  if (first?.queryId === undefined || columns === undefined) return undefined;
  if (!protocolVersion.supportsTimestamp(version) || protocolVersion.isDse(version)) {
    return undefined;
  }
  const options = request.options;
  if (options.getCustomPayload()) return undefined;
  for (const item of queries) {
    if (item.queryId !== first.queryId || item.meta !== first.meta) return undefined;
    if ((item.params?.length ?? 0) > columns.length) return undefined;
  }
  const writer = new FrameWriter(opcodes.batch) as FrameState & FrameWriter;
  writer.writeByte(request.type);
  writer.writeShort(queries.length);
  for (const item of queries) {
    writer.writeByte(1);
    writer.writeShortBytes(first.queryId);
    const params = item.params ?? [];
    writer.writeShort(params.length);
    const shared = sharedTailOf(params);
    const tailFrom = shared === undefined ? params.length : params.length - shared.length;
    for (let i = 0; i < tailFrom; i++) {
      writeValue(writer, params[i], columns[i].type, encoder);
    }
    if (shared !== undefined) writeSharedTail(writer, params, tailFrom, shared, columns, encoder);
  }
  writer.writeShort(options.getConsistency());
  const serial = options.getSerialConsistency();
  const timestamp = request.timestamp;
  const withTimestamp = timestamp !== null && timestamp !== undefined;
  writer.writeByte(
    (serial ? WITH_SERIAL_CONSISTENCY : 0) | (withTimestamp ? WITH_DEFAULT_TIMESTAMP : 0),
  );
  if (serial) writer.writeShort(serial);
  if (withTimestamp) writer.writeLong(timestamp);
  request.length = writer.bodyLength;
  return writer.write(version, streamId, options.isQueryTracing() ? frameFlags.tracing : 0);
}

/** A shared run of values as one statement's columns take them, with what its bytes depend on. */
interface EncodedTail {
  columns: readonly { type: unknown }[];
  from: number;
  protocolVersion: number;
  encodingOptions: unknown;
  bytes: Buffer;
}

/** Per shared array (see shared_values.ts), its values encoded: as many as the catalog has. */
const encodedTails = new WeakMap<readonly unknown[], EncodedTail>();

/**
 * Writes params from `from` on, the values of `shared`: the first time (or for another statement,
 * position or encoder) value by value, keeping the bytes; from then on, those bytes copied.
 */
function writeSharedTail(
  writer: FrameState & FrameWriter,
  params: readonly unknown[],
  from: number,
  shared: readonly unknown[],
  columns: readonly { type: unknown }[],
  encoder: Encoder,
): void {
  const kept = encodedTails.get(shared);
  if (
    kept !== undefined && kept.columns === columns && kept.from === from &&
    kept.protocolVersion === encoder.protocolVersion &&
    kept.encodingOptions === encoder.encodingOptions
  ) {
    const at = reserve(writer, kept.bytes.length);
    writer.frame!.set(kept.bytes, at);
    return;
  }
  const start = writer.end;
  for (let i = from; i < params.length; i++) {
    writeValue(writer, params[i], columns[i].type, encoder);
  }
  encodedTails.set(shared, {
    columns,
    from,
    protocolVersion: encoder.protocolVersion,
    encodingOptions: encoder.encodingOptions,
    bytes: Buffer.from(writer.frame!.subarray(start, writer.end)),
  });
}

/** A batch's statements, as the driver is given them. */
type BatchItem = { query?: unknown; params?: unknown } | string | null | undefined;
type GetPreparedMultiple = (
  client: unknown,
  loadBalancing: unknown,
  queries: readonly BatchItem[],
  keyspace: string | undefined,
) => Promise<{ query: string; params: unknown; queryId: unknown; meta: unknown }[]>;

const stockGetPreparedMultiple = PrepareHandler.getPreparedMultiple as GetPreparedMultiple;
/** The driver's lookup of a batch's statements, once for a batch of one statement. */
async function getPreparedMultiple(
  client: unknown,
  loadBalancing: unknown,
  queries: readonly BatchItem[],
  keyspace: string | undefined,
) {
  if (!oneStatement(queries)) {
    return await stockGetPreparedMultiple(client, loadBalancing, queries, keyspace);
  }
  // The driver's answer for the first row holds for every row: same statement, positional values.
  const [first] = await stockGetPreparedMultiple(client, loadBalancing, [queries[0]], keyspace);
  return queries.map((item) => ({
    query: first.query,
    params: (item as { params?: unknown }).params,
    queryId: first.queryId,
    meta: first.meta,
  }));
}

/** Whether every item runs the same query text with an array of values (or none). */
function oneStatement(queries: readonly BatchItem[]): boolean {
  if (queries.length < 2) return false;
  const query = (queries[0] as { query?: unknown } | null)?.query;
  if (typeof query !== "string") return false;
  return queries.every((item) =>
    typeof item === "object" && item !== null && item.query === query &&
    (item.params === undefined || item.params === null || Array.isArray(item.params))
  );
}

/**
 * The connection's _setIdleTimeout(): the idle timer runs `heartBeatInterval` from the last write.
 * The same timer is refreshed, fired or not (refresh() arms a fired timer again); a connection
 * with none yet, or whose timer was cleared (set to null) on a failure, gets a new one.
 */
function setIdleTimeout(this: Connection): void {
  const interval = this.options.pooling.heartBeatInterval;
  if (!interval) return;
  if (typeof this._idleTimeout?.refresh === "function") {
    this._idleTimeout.refresh();
    return;
  }
  this._idleTimeout = setTimeout(() => this._idleTimeoutHandler(), interval);
}

const stockHash = Murmur3Tokenizer.prototype.hash;
/** Every Murmur3 tokenizer computes the same tokens; this one computes the remembered ones. */
const hasher = new Murmur3Tokenizer();
/** Tokens by routing key, its bytes as a latin1 string (one character per byte). */
const tokens = new BoundedMemo(
  (key: string) => stockHash.call(hasher, Buffer.from(key, "latin1")),
  10_000,
);

/** The tokenizer's hash(), remembered per routing key. Tokens are never changed once made. */
function hash(this: Murmur3Tokenizer, value: Uint8Array) {
  if (!(value instanceof Buffer)) return stockHash.call(this, value);
  return tokens.of(value.toString("latin1"));
}

/** One property of the driver the patch replaces: where, the driver's own value, and ours. */
interface PatchPoint {
  owner: Record<string, unknown>;
  name: string;
  stock: unknown;
  patched: unknown;
}

function patchPoint(owner: object, name: string, patched: unknown): PatchPoint {
  const methods = owner as Record<string, unknown>;
  return { owner: methods, name, stock: methods[name], patched };
}

const PATCH_POINTS: readonly PatchPoint[] = [
  ...Object.entries(frameMethods).map(([name, method]) =>
    patchPoint(FrameWriter.prototype, name, method)
  ),
  ...Object.entries(operationStateMethods).map(([name, method]) =>
    patchPoint(OperationState.prototype, name, method)
  ),
  patchPoint(BatchRequest.prototype, "write", batchWrite),
  patchPoint(Connection.prototype, "_setIdleTimeout", setIdleTimeout),
  patchPoint(PrepareHandler, "getPreparedMultiple", getPreparedMultiple),
  patchPoint(Murmur3Tokenizer.prototype, "hash", hash),
];

function install(which: "stock" | "patched"): void {
  for (const point of PATCH_POINTS) point.owner[point.name] = point[which];
}

install("patched");

/**
 * Runs `work` with the driver as published (its own frame writing, statement lookup and token
 * hashing), then puts the patch back: the benchmark's stock-driver ceiling and the equivalence
 * tests. It swaps the methods for the whole process, so nothing else may write requests meanwhile.
 */
export async function withStockDriver<T>(work: () => T | Promise<T>): Promise<T> {
  install("stock");
  try {
    return await work();
  } finally {
    install("patched");
  }
}

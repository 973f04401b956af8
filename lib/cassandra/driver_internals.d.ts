/**
 * The slices of cassandra-driver's internal modules (lib/writers.js, lib/requests.js,
 * lib/encoder.js, lib/types/index.js) that lib/cassandra/driver_patches.ts and its tests touch.
 * One file declares them all; each import takes the names its module has.
 */

/** The driver's writer of one request frame. */
export declare class FrameWriter {
  constructor(opcode: number);
  bodyLength: number;
  writeByte(num: number): void;
  writeShort(num: number): void;
  writeInt(num: number): void;
  writeLong(num: unknown): void;
  writeShortBytes(bytes: Uint8Array): void;
  writeBytes(bytes: Uint8Array | null | Readonly<{ unset: true }>): void;
  write(version: number, streamId: number, flags?: number): Uint8Array;
}

/** The header in front of every frame. */
export declare class FrameHeader {
  constructor(version: number, flags: number, streamId: number, opcode: number, bodyLength: number);
  toBuffer(): Uint8Array;
}

/** The driver's marker for an unset value (sent as length -2). */
export declare const unset: Readonly<{ unset: true }>;

/** The driver's codes of CQL types. */
export declare const dataTypes: Record<string, number>;

/** The driver's codes of request and response frames. */
export declare const opcodes: Record<string, number>;

/** The flags of a frame header. */
export declare const frameFlags: Record<string, number>;

/** What each version of the native protocol supports. */
export declare const protocolVersion: {
  supportsTimestamp(version: number): boolean;
  isDse(version: number): boolean;
};

/** The driver's value encoder of one connection (lib/encoder.js exports it alone). */
export declare class Encoder {
  constructor(protocolVersion: number, options: unknown);
  protocolVersion: number;
  /** The client's `encoding` options (one object for every connection of a client). */
  encodingOptions: unknown;
  encode(value: unknown, type: unknown): Uint8Array | null;
}
export default Encoder;

/** A request the driver writes as one frame. */
declare class Request {
  write(encoder: Encoder, streamId: number): Uint8Array;
}
/** The execution options a batch request reads. */
export declare interface BatchOptions {
  getCustomPayload(): unknown;
  getConsistency(): number;
  getSerialConsistency(): number | null | undefined;
  isQueryTracing(): boolean;
}
export declare class BatchRequest extends Request {
  constructor(queries: unknown[], options: unknown);
  queries: unknown[];
  options: BatchOptions;
  /** The batch type: logged, unlogged or counter. */
  type: number;
  timestamp: unknown;
  /** The body's length, which the driver reads after write(). */
  length: number;
}
export declare class ExecuteRequest extends Request {
  constructor(
    query: string,
    queryId: Uint8Array,
    params: unknown[],
    options: unknown,
    meta: unknown,
  );
}
export declare class QueryRequest extends Request {
  constructor(query: string, params: unknown[], options: unknown, namedParameters?: boolean);
}
export declare class PrepareRequest extends Request {
  constructor(query: string, keyspace?: string);
}
export declare class StartupRequest extends Request {
  constructor(options?: Record<string, unknown>);
}
export declare class RegisterRequest extends Request {
  constructor(events: string[]);
}
export declare class AuthResponseRequest extends Request {
  constructor(token: Uint8Array);
}
export declare class CredentialsRequest extends Request {
  constructor(username: string, password: string);
}
/** The OPTIONS request, one instance. */
export declare const options: Request;

/** The idle timer's part of cassandra-driver's lib/connection.js (one connection to a node). */
declare class Connection {
  options: { pooling: { heartBeatInterval?: number } };
  _idleTimeout: { refresh(): unknown } | null;
  _idleTimeoutHandler(): void;
  _setIdleTimeout(): void;
}
export default Connection;

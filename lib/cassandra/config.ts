/** How to reach Cassandra: plain data, so parsing flags loads no driver. */
import type { TlsConfig } from "../core/tls.ts";

export interface CassandraConfig {
  contactPoints: string[];
  localDataCenter: string;
  /** Undefined: plaintext. */
  tls?: TlsConfig;
  credentials?: { username: string; password: string };
  connectTimeoutMs: number;
}

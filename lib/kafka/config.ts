/** How to reach Kafka: plain data, so parsing flags loads no client library. */
import type { TlsConfig } from "../core/tls.ts";

/** SASL mechanisms kafkajs supports out of the box. */
export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;

/** A SASL mechanism kafkajs supports. */
export type SaslMechanism = typeof SASL_MECHANISMS[number];

/** How to reach Kafka. */
export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  /** Undefined: plaintext. */
  tls?: TlsConfig;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  /** Upper bound on how long a first connection may take before the command gives up. */
  connectTimeoutMs: number;
}

/** How to reach Cassandra: plain data, so parsing flags loads no driver. */
export interface CassandraConfig {
  contactPoints: string[];
  localDataCenter: string;
  tls: boolean;
  credentials?: { username: string; password: string };
  connectTimeoutMs: number;
}

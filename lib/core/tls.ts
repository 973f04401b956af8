/**
 * TLS to a service as plain data: the CA to trust, an optional client certificate (mutual TLS),
 * and whether the server's name is checked against its certificate. The PEM texts are read from
 * files when the flags are parsed, so a missing file is a usage error before anything connects.
 */

/** TLS settings for one service. */
export interface TlsConfig {
  /** PEM of the CA certificates to trust instead of the system's; undefined: the system's. */
  ca?: string;
  /** A client certificate and its private key (PEM), for servers that ask for one. */
  cert?: string;
  key?: string;
  /** Off only with --insecure-skip-hostname-verification: the chain is still verified. */
  verifyHostname: boolean;
}

/** The options Node's `tls.connect` takes (kafkajs' `ssl`, the driver's `sslOptions`). */
export interface NodeTlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  rejectUnauthorized: true;
  checkServerIdentity?: () => undefined;
}

/** Node TLS options for a config: the chain is always verified, the name unless told not to. */
export function nodeTlsOptions(tls: TlsConfig): NodeTlsOptions {
  return {
    ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
    rejectUnauthorized: true,
    ...(tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
  };
}

/** What a failed connection says about TLS, if anything. */
export type TlsProblem =
  | "untrusted" // the server's chain does not lead to a trusted CA
  | "name" // the certificate is for another host name
  | "not-tls" // the client spoke TLS to a plaintext port
  | "tls-expected" // the client spoke plaintext to a TLS port
  | "client-cert"; // the server wants a client certificate the client did not give

const NAME_MISMATCH = /altnames|does not match certificate|NotValidForName/i;
const UNTRUSTED =
  /self[- ]signed|unable to (get|verify)|certificate (verify|chain)|UnknownIssuer|CERT_|invalid peer certificate|BadSignature|certificate has expired/i;
const NOT_TLS =
  /wrong version number|disconnected before secure TLS|InvalidContentType|packet length too long|corrupt message|does not look like a TLS handshake/i;
// kafkajs says "Not connected" when the socket closed between the handshake and its first request:
// a broker that requires a client certificate can close that late under TLS 1.3.
const HUNG_UP =
  /^Closed connection|^Not connected|ECONNRESET|EPIPE|write after end|socket hang up|CertificateRequired|certificate required|bad ?certificate/i;

/**
 * Reads a connection failure's message for a TLS cause, given how the client connected. A server
 * that hangs up at once means TLS too: a TLS port does that to a plaintext client, and a server
 * requiring client certificates does that to a TLS client without one.
 */
export function tlsProblem(
  message: string,
  client: { tls: boolean; clientCert: boolean },
): TlsProblem | undefined {
  if (client.tls && NAME_MISMATCH.test(message)) return "name";
  if (client.tls && UNTRUSTED.test(message)) return "untrusted";
  if (client.tls && NOT_TLS.test(message)) return "not-tls";
  if (!client.tls && HUNG_UP.test(message)) return "tls-expected";
  if (client.tls && !client.clientCert && HUNG_UP.test(message)) return "client-cert";
  return undefined;
}

/** A TLS failure worded for the user: what went wrong and the flag that fixes it. */
export function tlsTrouble(
  flagPrefix: "kafka" | "cassandra",
  tls: TlsConfig | undefined,
  message: string,
): { detail: string; hint: string } | undefined {
  const flag = (name: string) => `--${flagPrefix}-${name}`;
  const env = (name: string) => `${flagPrefix.toUpperCase()}_${name}`;
  switch (tlsProblem(message, { tls: tls !== undefined, clientCert: tls?.cert !== undefined })) {
    case "not-tls":
      return {
        detail: `TLS failed: the port does not speak TLS (${message})`,
        hint: `This is a plaintext port: drop ${flag("tls")} and ${flag("ca")}, or connect to ` +
          `the TLS port.`,
      };
    case "tls-expected":
      return {
        detail: `the server hung up on a plaintext client (${message}); a TLS port does that`,
        hint: `If the port is TLS, add ${flag("tls")}, or ${flag("ca")} FILE for a private CA.`,
      };
    case "client-cert":
      return {
        detail: `the server hung up during the TLS handshake (${message}); it may require a ` +
          `client certificate`,
        hint: `Give one with ${flag("cert")} FILE and ${flag("key")} FILE (${env("CERT_FILE")}, ` +
          `${env("KEY_FILE")}).`,
      };
    case "name":
      return {
        detail: `TLS failed: the server's certificate is not issued to this host name (${message})`,
        hint: "Connect by a name or address the certificate lists. For a test setup only, " +
          "--insecure-skip-hostname-verification accepts it.",
      };
    case "untrusted":
      return {
        detail: `TLS failed: the server's certificate is not trusted (${message})`,
        hint: `Pass the CA that signed it with ${flag("ca")} FILE (${env("CA_FILE")}).`,
      };
    case undefined:
      return undefined;
  }
}

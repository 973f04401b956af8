import assert from "node:assert/strict";
import { nodeTlsOptions, tlsProblem, tlsTrouble } from "./tls.ts";

Deno.test("nodeTlsOptions() always verifies the chain, and the name unless told not to", () => {
  assert.deepEqual(nodeTlsOptions({ verifyHostname: true }), { rejectUnauthorized: true });
  const mutual = nodeTlsOptions({ ca: "CA", cert: "C", key: "K", verifyHostname: true });
  assert.deepEqual(mutual, { ca: ["CA"], cert: "C", key: "K", rejectUnauthorized: true });
  const loose = nodeTlsOptions({ verifyHostname: false });
  assert.equal(loose.rejectUnauthorized, true);
  assert.equal(loose.checkServerIdentity?.(), undefined);
});

Deno.test("tlsProblem() tells an untrusted chain, a wrong name and a TLS mismatch apart", () => {
  const tls = { tls: true, clientCert: true };
  assert.equal(tlsProblem("self-signed certificate in certificate chain", tls), "untrusted");
  assert.equal(tlsProblem("invalid peer certificate: UnknownIssuer", tls), "untrusted");
  assert.equal(
    tlsProblem("Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in", tls),
    "name",
  );
  assert.equal(tlsProblem("received corrupt message of type InvalidContentType", tls), "not-tls");
  assert.equal(
    tlsProblem(
      "Client network socket disconnected before secure TLS connection was established",
      tls,
    ),
    "not-tls",
  );
  const plain = { tls: false, clientCert: false };
  assert.equal(tlsProblem("Closed connection", plain), "tls-expected");
  assert.equal(tlsProblem("read ECONNRESET", plain), "tls-expected");
  assert.equal(tlsProblem("write EPIPE", { tls: true, clientCert: false }), "client-cert");
  // CI saw this from kafkajs once, for a broker closing on a client without a certificate.
  assert.equal(tlsProblem("Not connected", { tls: true, clientCert: false }), "client-cert");
  assert.equal(
    tlsProblem("received fatal alert: BadCertificate", { tls: true, clientCert: false }),
    "client-cert",
  );
  assert.equal(tlsProblem("write EPIPE", tls), undefined);
  assert.equal(tlsProblem("connect ECONNREFUSED 127.0.0.1:9092", plain), undefined);
  assert.equal(tlsProblem("connect ECONNREFUSED 127.0.0.1:9092", tls), undefined);
});

Deno.test("tlsTrouble() names the flag that fixes each problem", () => {
  const trouble = (message: string, tls?: { ca?: string; cert?: string }) =>
    tlsTrouble("kafka", tls && { ...tls, verifyHostname: true }, message);
  assert.match(trouble("self-signed certificate", {})!.hint, /--kafka-ca FILE \(KAFKA_CA_FILE\)/);
  assert.match(trouble("Closed connection")!.hint, /add --kafka-tls/);
  assert.match(trouble("write EPIPE", {})!.hint, /--kafka-cert FILE and --kafka-key FILE/);
  assert.match(trouble("wrong version number", {})!.hint, /drop --kafka-tls/);
  assert.match(trouble("does not match certificate's altnames", {})!.hint, /--insecure-skip/);
  assert.equal(trouble("connect ECONNREFUSED"), undefined);
});

import assert from "node:assert/strict";
import {
  byteSize,
  choice,
  hostList,
  integer,
  Invalid,
  listenAddress,
  mustParse,
  nonEmpty,
  text,
  truthy,
} from "./parse.ts";

function reason(value: unknown): string {
  assert.ok(value instanceof Invalid, `expected Invalid, got ${JSON.stringify(value)}`);
  return value.reason;
}

Deno.test("integer() reads whole numbers in range and names the range otherwise", () => {
  const people = integer({ min: 1, max: 10 });
  assert.equal(people("7"), 7);
  assert.equal(integer()("1_000"), 1000);
  assert.equal(reason(people("0")), "takes a whole number 1 to 10, got '0'");
  assert.equal(reason(integer({ min: 1 })("1.5")), "takes a whole number 1 or more, got '1.5'");
  assert.match(reason(people("x")), /got 'x'/);
});

Deno.test("byteSize() reads units and refuses what is out of range", () => {
  const size = byteSize({ min: 256 });
  assert.equal(size("5KiB"), 5120);
  assert.equal(size("1MB"), 1_000_000);
  assert.equal(size("4096"), 4096);
  assert.match(reason(size("12")), /from 256 to/);
  assert.match(reason(size("5 parsecs")), /got '5 parsecs'/);
});

Deno.test("choice() is case-insensitive and lists the choices", () => {
  const level = choice(["plain", "scram-sha-512"] as const);
  assert.equal(level("PLAIN"), "plain");
  assert.equal(reason(level("kerberos")), "takes one of plain, scram-sha-512, got 'kerberos'");
});

Deno.test("hostList() adds default ports, keeps IPv6 brackets and refuses bad entries", () => {
  const hosts = hostList(9092);
  assert.deepEqual(hosts("a, b:19092,[::1]:9093"), ["a:9092", "b:19092", "[::1]:9093"]);
  assert.equal(reason(hosts(",")), "needs at least one host");
  assert.equal(reason(hosts("a:99999")), "'a:99999' is not host or host:port");
});

Deno.test("nonEmpty(), truthy() and mustParse()", () => {
  assert.equal(nonEmpty()("  Ada "), "Ada");
  assert.equal(reason(nonEmpty()("  ")), "needs a non-empty value");
  assert.equal(reason(nonEmpty("name")("")), "needs a non-empty name");
  assert.equal(text(" as is "), " as is ");
  assert.deepEqual(["1", "TRUE", "yes", "on", "0", "no", ""].map(truthy), [
    true,
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
  assert.equal(mustParse(integer(), "3"), 3);
  assert.throws(() => mustParse(integer(), "x"), /'x' was refused/);
});

Deno.test("listenAddress() defaults to loopback and reads IPv4, IPv6 and a bare port", () => {
  assert.deepEqual(mustParse(listenAddress, ":9400"), { hostname: "127.0.0.1", port: 9400 });
  assert.deepEqual(mustParse(listenAddress, "9400"), { hostname: "127.0.0.1", port: 9400 });
  assert.deepEqual(mustParse(listenAddress, "0.0.0.0:0"), { hostname: "0.0.0.0", port: 0 });
  assert.deepEqual(mustParse(listenAddress, "[::1]:80"), { hostname: "::1", port: 80 });
  assert.deepEqual(mustParse(listenAddress, "metrics.local:9400"), {
    hostname: "metrics.local",
    port: 9400,
  });
  for (const bad of ["", "host", "host:", "host:70000", "1:2:3"]) {
    assert.match(reason(listenAddress(bad)), /takes HOST:PORT/);
  }
});

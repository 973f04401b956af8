import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { messageBytes } from "./buffer.ts";
import { ConsumedMessage } from "./kafka_source.ts";

Deno.test("a consumed message reads its key and value from the fetched bytes, as given", () => {
  const fetched = Buffer.from('..person{"rating":7}..');
  const key = fetched.subarray(2, 8);
  const value = fetched.subarray(8, 20);
  const message = new ConsumedMessage(1, 42, key, value, "1709287200000", { h: "v" });
  assert.deepEqual(
    [message.partition, message.offset, message.timestamp, message.headers],
    [1, 42, "1709287200000", { h: "v" }],
  );
  assert.equal(new TextDecoder().decode(message.key!), "person");
  assert.equal(new TextDecoder().decode(message.value!), '{"rating":7}');
  assert.equal(message.value!.buffer, fetched.buffer, "a view of the same bytes, not a copy");
  assert.equal(message.size, 18);
  assert.equal(
    messageBytes(message),
    messageBytes({ partition: 1, offset: 42, key, value, timestamp: "0" }),
  );
});

Deno.test("a consumed message without a key or a value says null, and counts no bytes for it", () => {
  const message = new ConsumedMessage(0, 0, null, null, "0", undefined);
  assert.equal(message.key, null);
  assert.equal(message.value, null);
  assert.equal(message.size, 0);
  const empty = new ConsumedMessage(0, 1, null, new Uint8Array(0), "0", undefined);
  assert.deepEqual(empty.value, new Uint8Array(0));
});

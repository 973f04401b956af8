import assert from "node:assert/strict";
import { createSendMessages } from "./kafkajs_send.ts";

/** Brokers that answer or fail, and metadata whose leaders can move between attempts. */
function fakeCluster(leaders: Record<number, number>[]) {
  let attempt = 0;
  const sent: { broker: number; partitions: number[]; sequences: number[] }[] = [];
  const failOnce = new Set([2]);
  const broker = (nodeId: number) => ({
    nodeId,
    produce(
      request: { topicData: { partitions: { partition: number; firstSequence: number }[] }[] },
    ) {
      const partitions = request.topicData.flatMap((t) => t.partitions.map((p) => p.partition));
      sent.push({
        broker: nodeId,
        partitions,
        sequences: request.topicData.flatMap((t) => t.partitions.map((p) => p.firstSequence)),
      });
      if (failOnce.delete(nodeId)) {
        return Promise.reject(
          Object.assign(new Error("Connection error"), {
            name: "KafkaJSConnectionError",
            retriable: true,
          }),
        );
      }
      return Promise.resolve({
        topics: [{
          topicName: "t",
          partitions: partitions.map((partition) => ({ partition, errorCode: 0, baseOffset: "0" })),
        }],
      });
    },
  });
  const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
  const sequences = new Map<number, number>();
  return {
    sent,
    cluster: {
      refreshMetadataIfNecessary: () => Promise.resolve(),
      refreshMetadata: () => {
        attempt++;
        return Promise.resolve();
      },
      addMultipleTargetTopics: () => Promise.resolve(),
      isConnected: () => true,
      findTopicPartitionMetadata: () => [{ partitionId: 0 }, { partitionId: 1 }],
      findLeaderForPartitions: (_topic: string, partitions: string[]) => {
        const byLeader: Record<string, number[]> = {};
        for (const p of partitions) (byLeader[leaders[attempt][Number(p)]] ??= []).push(Number(p));
        return byLeader;
      },
      findBroker: ({ nodeId }: { nodeId: number }) => Promise.resolve(brokers.get(nodeId)),
    },
    eosManager: {
      acquireBrokerLock: () => Promise.resolve(),
      releaseBrokerLock: () => Promise.resolve(),
      isTransactional: () => false,
      getSequence: (_t: string, p: number) => sequences.get(p) ?? 0,
      updateSequence: (_t: string, p: number, n: number) =>
        sequences.set(p, (sequences.get(p) ?? 0) + n),
      getProducerId: () => 1,
      getProducerEpoch: () => 0,
    },
  };
}

async function retrier(
  work: (bail: (e: unknown) => void, n: number, t: number) => Promise<unknown>,
) {
  for (let n = 0;; n++) {
    let bailed: unknown;
    try {
      return await work((e) => (bailed = e), n, 0);
    } catch (error) {
      if (n >= 5) throw error;
    }
    if (bailed) throw bailed;
  }
}

Deno.test("a partition whose leader died is sent again to its new leader, even one that already answered", async () => {
  // Partition 0 on broker 1, partition 1 on broker 2; broker 2 dies, partition 1 moves to broker 1.
  const { sent, cluster, eosManager } = fakeCluster([{ 0: 1, 1: 2 }, { 0: 1, 1: 1 }]);
  const send = createSendMessages({
    logger: { debug() {}, error() {} },
    cluster,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager,
    retrier,
  });
  const messages = [0, 1, 0, 1].map((partition) => ({ partition, value: "v" }));
  const results = await send({
    acks: -1,
    timeout: 30_000,
    compression: 0,
    topicMessages: [{ topic: "t", messages }],
  });
  // Partition 1 went to broker 2 (failed), then to broker 1; partition 0 was not sent twice.
  assert.deepEqual(sent.map((s) => [s.broker, s.partitions]), [[1, [0]], [2, [1]], [1, [1]]]);
  // The retry reused partition 1's sequence numbers, so a broker would drop a repeat.
  assert.deepEqual(sent.map((s) => s.sequences), [[0], [0], [0]]);
  assert.deepEqual((results as { partition: number }[]).map((r) => r.partition).sort(), [0, 1]);
});

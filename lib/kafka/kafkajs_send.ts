/**
 * kafkajs' producer send loop, rewritten so that a retry never forgets a partition.
 *
 * kafkajs 2.2.4 remembers, between the attempts of one send, which *brokers* answered. When a
 * broker dies mid-send, the partitions it led move to the surviving brokers; if one of those had
 * already answered for its own partitions, the retry skips it, and the moved partitions' messages
 * are never sent again, while the send resolves as if they had been (kafkajs issue #1303: one
 * SIGKILLed broker of three lost 15 of 12,000 acknowledged events in our cluster test).
 *
 * This version remembers which *partitions* were acknowledged. Each attempt sends every partition
 * not yet acknowledged to its current leader. Everything else is kafkajs' own behaviour: sequence
 * numbers of the idempotent producer (rolled back when a request fails, so a retry reuses them and
 * the broker drops a repeat), the broker lock, transactions, and which errors refresh the metadata
 * and retry. lib/kafka/kafkajs_patches.ts installs it before kafkajs loads.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { KafkaJSMetadataNotLoaded } = require("kafkajs/src/errors.js");
const { staleMetadata } = require("kafkajs/src/protocol/error.js");
const responseSerializer = require("kafkajs/src/producer/responseSerializer.js");
/** kafkajs' grouping as the module cache holds it at send time (the faster one, once patched). */
const groupMessagesPerPartition = (args: Any) =>
  require("kafkajs/src/producer/groupMessagesPerPartition.js")(args);

// The slices of kafkajs' internals this loop uses, as kafkajs passes them.
// deno-lint-ignore no-explicit-any
type Any = any;

interface Broker {
  nodeId: number;
  produce(request: Record<string, unknown>): Promise<unknown>;
}

/** One partition's messages, bound for its leader. */
interface PartitionBatch {
  topic: string;
  partition: number;
  messages: unknown[];
}

/** kafkajs' `createSendMessages({ logger, cluster, partitioner, eosManager, retrier })`. */
export function createSendMessages(
  { logger, cluster, partitioner, eosManager, retrier }: Any,
) {
  return ({ acks, timeout, compression, topicMessages }: Any) => {
    /** Acknowledged partitions ("topic/partition") and their responses, across attempts. */
    const acknowledged = new Map<string, unknown[]>();
    const keyOf = (topic: string, partition: number) => `${topic}/${partition}`;

    /** What is left to send, grouped by the partitions' current leaders. */
    const pendingPerLeader = async (): Promise<Map<Broker, PartitionBatch[]>> => {
      await cluster.refreshMetadataIfNecessary();
      const perLeader = new Map<number, PartitionBatch[]>();
      for (const { topic, messages } of topicMessages) {
        const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
        if (partitionMetadata.length === 0) {
          logger.debug("Producing to topic without metadata", { topic });
          throw new KafkaJSMetadataNotLoaded("Producing to topic without metadata");
        }
        const groups: Record<string, unknown[]> = groupMessagesPerPartition({
          topic,
          partitionMetadata,
          messages,
          partitioner,
        });
        const open = Object.keys(groups).filter((p) => !acknowledged.has(keyOf(topic, Number(p))));
        const leaders: Record<string, number[]> = cluster.findLeaderForPartitions(topic, open);
        for (const [nodeId, partitions] of Object.entries(leaders)) {
          const batches = perLeader.get(Number(nodeId)) ?? [];
          for (const partition of partitions) {
            batches.push({ topic, partition: Number(partition), messages: groups[partition] });
          }
          perLeader.set(Number(nodeId), batches);
        }
      }
      const byBroker = new Map<Broker, PartitionBatch[]>();
      for (const [nodeId, batches] of perLeader) {
        byBroker.set(await cluster.findBroker({ nodeId }), batches);
      }
      return byBroker;
    };

    /** Sends one leader its partitions; on success, records them as acknowledged. */
    const sendTo = async (broker: Broker, batches: PartitionBatch[]) => {
      const topicData = [...new Set(batches.map((b) => b.topic))].map((topic) => ({
        topic,
        partitions: batches.filter((b) => b.topic === topic).map((b) => ({
          partition: b.partition,
          messages: b.messages,
        })),
      }));
      await eosManager.acquireBrokerLock(broker);
      try {
        if (eosManager.isTransactional()) {
          await eosManager.addPartitionsToTransaction(topicData);
        }
        for (const { topic, partitions } of topicData) {
          for (const entry of partitions as Any[]) {
            entry.firstSequence = eosManager.getSequence(topic, entry.partition);
            eosManager.updateSequence(topic, entry.partition, entry.messages.length);
          }
        }
        let response;
        try {
          response = await broker.produce({
            transactionalId: eosManager.isTransactional()
              ? eosManager.getTransactionalId()
              : undefined,
            producerId: eosManager.getProducerId(),
            producerEpoch: eosManager.getProducerEpoch(),
            acks,
            timeout,
            compression,
            topicData,
          });
        } catch (error) {
          // Not written: the retry sends the same sequence numbers again.
          for (const { topic, partitions } of topicData) {
            for (const entry of partitions) {
              eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
            }
          }
          throw error;
        }
        const results: Any[] = acks === 0 ? [] : responseSerializer(response);
        for (const batch of batches) {
          acknowledged.set(
            keyOf(batch.topic, batch.partition),
            results.filter((r) => r.topicName === batch.topic && r.partition === batch.partition),
          );
        }
      } finally {
        await eosManager.releaseBrokerLock(broker);
      }
    };

    return retrier(
      async (bail: (error: unknown) => void, retryCount: number, retryTime: number) => {
        await cluster.addMultipleTargetTopics(topicMessages.map(({ topic }: Any) => topic));
        try {
          const pending = await pendingPerLeader();
          const outcomes = await Promise.allSettled(
            [...pending].map(([broker, batches]) => sendTo(broker, batches)),
          );
          const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
          if (failed !== undefined) throw failed.reason;
          return [...acknowledged.values()].flat();
        } catch (e: Any) {
          if (e.name === "KafkaJSConnectionClosedError") {
            cluster.removeBroker({ host: e.host, port: e.port });
          }
          if (!cluster.isConnected()) {
            logger.debug(`Cluster has disconnected, reconnecting: ${e.message}`, {
              retryCount,
              retryTime,
            });
            await cluster.connect();
            await cluster.refreshMetadata();
            throw e;
          }
          if (
            staleMetadata(e) || e.name === "KafkaJSMetadataNotLoaded" ||
            e.name === "KafkaJSConnectionError" || e.name === "KafkaJSConnectionClosedError" ||
            (e.name === "KafkaJSProtocolError" && e.retriable)
          ) {
            logger.error(`Failed to send messages: ${e.message}`, { retryCount, retryTime });
            await cluster.refreshMetadata();
            throw e;
          }
          logger.error(`${e.message}`, { retryCount, retryTime });
          if (e.retriable) throw e;
          bail(e);
        }
      },
    );
  };
}

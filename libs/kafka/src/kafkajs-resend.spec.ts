/* eslint-disable @typescript-eslint/no-require-imports */
// kafkajs' own producer internals, driven with a fake cluster: no types for them.
const createSendMessages = require('kafkajs/src/producer/sendMessages');
const createRetry = require('kafkajs/src/retry');
const { createErrorFromCode } = require('kafkajs/src/protocol/error');
import { Producer, ProducerRecord } from 'kafkajs';
import { BatchingProducer } from './batching-producer';
import { fakeCluster } from './kafkajs-fake-cluster.fixture';
import { PartitionAudit } from './partition-audit';
import { ProducerLifecycle } from './producer-lifecycle';

const NOT_LEADER_OR_FOLLOWER = 6;
const noop = () => undefined;
const logger = { debug: noop, info: noop, warn: noop, error: noop };

interface Write {
  broker: number;
  partition: number;
  firstSequence: number;
  values: string[];
}

/**
 * Seen on the real node (issue 21): deleting the Kafka pod that led the busiest partition, one
 * rating of 1,084 was answered 202 once and counted twice.
 *
 * kafkajs 2.2.4's sendMessages advances a partition's sequence number when it sends it, and rolls
 * it back only if that request fails. On a retry it groups *every* message of the send by the
 * partitions' current leaders and skips only brokers that already answered. A partition that
 * broker 1 acknowledged and whose leadership then moved to broker 3 (a controlled shutdown) goes
 * out again to broker 3 when another partition's request failed — with the advanced sequence
 * number, so broker 3 takes it for the next batch and appends it a second time.
 *
 * Broker 1 leads partition 0 and answers; broker 2 leads partition 1 and answers NOT_LEADER;
 * meanwhile both partitions move to broker 3.
 */
function resendScenario() {
  const leaders: Record<number, number> = { 0: 1, 1: 2 };
  const sequences: Record<number, number> = { 0: 0, 1: 0 };
  const writes: Write[] = [];
  let broker2Failed = false;
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({
      topicData,
    }: {
      topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[] }[];
    }) {
      await Promise.resolve();
      if (nodeId === 2 && !broker2Failed) {
        broker2Failed = true;
        leaders[0] = 3;
        leaders[1] = 3;
        throw createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
      }
      for (const t of topicData)
        for (const p of t.partitions)
          writes.push({ broker: nodeId, partition: p.partition, firstSequence: p.firstSequence, values: p.messages.map((m) => m.value) });
      return {
        topics: topicData.map((t) => ({
          topicName: t.topic,
          partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })),
        })),
      };
    },
  });
  const brokers: Record<number, ReturnType<typeof broker>> = { 1: broker(1), 2: broker(2), 3: broker(3) };
  const cluster = fakeCluster(leaders, brokers);
  // kafkajs' bookkeeping, as its eosManager keeps it for an idempotent producer.
  const eosManager = {
    isTransactional: () => false,
    getSequence: (_topic: string, partition: number) => sequences[partition],
    updateSequence: (_topic: string, partition: number, increment: number) => (sequences[partition] += increment),
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
  };
  const audit = new PartitionAudit();
  const sendMessages = createSendMessages({
    logger: { ...logger, namespace: () => logger },
    cluster,
    partitioner: audit.createPartitioner(),
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
  const producer = audit.guard({
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: (record: ProducerRecord) =>
      sendMessages({ acks: record.acks, timeout: 1000, topicMessages: [{ topic: record.topic, messages: record.messages }] }),
  } as unknown as Producer);
  return { producer, writes };
}

/** Each value as many times as a broker appended it: a partition's write with a sequence number it had seen is dropped, as a broker does. */
function appended(writes: Write[]): Record<string, number> {
  const seen = new Set<string>();
  const counts: Record<string, number> = {};
  for (const w of writes) {
    const id = `${w.partition}/${w.firstSequence}`;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const value of w.values) counts[value] = (counts[value] ?? 0) + 1;
  }
  return counts;
}

describe('kafkajs 2.2.4 producer: a retried send whose acknowledged partition moved', () => {
  it('writes that partition again with a new sequence number (the upstream defect)', async () => {
    const { producer, writes } = resendScenario();
    const record = { topic: 'rates', acks: -1, messages: [0, 1].map((p) => ({ value: `p${p}`, partition: p })) };
    await producer.send(record);
    expect(writes.filter((w) => w.partition === 0).map((w) => [w.broker, w.firstSequence])).toEqual([
      [1, 0],
      [3, 1],
    ]);
    expect(appended(writes)).toEqual({ p0: 2, p1: 1 });
  });

  it('cannot reach a BatchingProducer, which sends each partition on its own: every message appended once', async () => {
    const { producer, writes } = resendScenario();
    const lifecycle = new ProducerLifecycle(() => producer, { reconnectDelayMs: 10, maxReplaceDelayMs: 10 });
    await lifecycle.start();
    const batching = new BatchingProducer(lifecycle, 'rates', 100, 5000, undefined, 5, () => 2);
    // Keys that murmur2 puts on partitions 0 and 1 of 2, as the API's subjects are.
    const keys = ['subject-1', 'subject-2', 'subject-3', 'subject-4'];
    const answers = await Promise.allSettled(keys.map((key) => batching.send({ key, value: key })));
    expect(answers.map((a) => a.status)).toEqual(keys.map(() => 'fulfilled'));
    expect(new Set(writes.map((w) => w.partition))).toEqual(new Set([0, 1]));
    expect(appended(writes)).toEqual(Object.fromEntries(keys.map((key) => [key, 1])));
    await lifecycle.stop();
  });
});

/* eslint-disable @typescript-eslint/no-require-imports */
// kafkajs' own producer internals, driven with a fake cluster: no types for them.
const createSendMessages = require('kafkajs/src/producer/sendMessages');
const createRetry = require('kafkajs/src/retry');
const { createErrorFromCode } = require('kafkajs/src/protocol/error');
import { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { fakeCluster } from './kafkajs-fake-cluster.fixture';
import { PartitionAudit, UnproducedPartitionError } from './partition-audit';

const NOT_LEADER_OR_FOLLOWER = 6;
const noop = () => undefined;
const logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * Found by `npm run chaos` (rolling restart of the 3 brokers, run 2026-11-29 23:34): 8 ratings
 * answered 202 were never written. All were in batches kafkajs had to retry while a broker's
 * controlled shutdown moved partition leaders.
 *
 * kafkajs 2.2.4's sendMessages remembers, per send, which *brokers* answered; on a retry it
 * re-groups the messages by the partitions' current leaders and skips every broker that already
 * answered. A partition whose request failed (NOT_LEADER) and that moved to a broker that had
 * already answered for another partition is never sent again — and the send resolves.
 *
 * Reproduced with kafkajs' real sendMessages and a two-broker fake cluster; PartitionAudit (what
 * createProducer wraps every producer in) turns that send into a failure.
 */
function leaderMoveScenario(partitioner: unknown) {
  const leaders: Record<number, number> = { 0: 1, 1: 2 };
  const produced: number[] = [];
  let broker2Failed = false;
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: { topicData: { topic: string; partitions: { partition: number; messages: unknown[] }[] }[] }) {
      if (nodeId === 2 && !broker2Failed) {
        broker2Failed = true;
        leaders[1] = 1; // its controlled shutdown hands partition 1 to broker 1
        throw createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
      }
      for (const t of topicData) for (const p of t.partitions) produced.push(p.partition);
      return {
        topics: topicData.map((t) => ({
          topicName: t.topic,
          partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })),
        })),
      };
    },
  });
  const brokers: Record<number, ReturnType<typeof broker>> = { 1: broker(1), 2: broker(2) };
  const cluster = fakeCluster(leaders, brokers);
  const eosManager = {
    isTransactional: () => false,
    getSequence: () => 0,
    updateSequence: noop,
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
  };
  const sendMessages = createSendMessages({
    logger: { ...logger, namespace: () => logger },
    cluster,
    partitioner,
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
  // Explicit partitions: kafkajs' default partitioner honours them, as it does murmur2 keys.
  const record: ProducerRecord = {
    topic: 'rates',
    acks: -1,
    messages: [
      { key: 'a', value: '1', partition: 0 },
      { key: 'b', value: '2', partition: 1 },
    ],
  };
  const send = async (): Promise<RecordMetadata[]> =>
    sendMessages({ acks: -1, timeout: 1000, topicMessages: [{ topic: record.topic, messages: record.messages }] });
  return { record, send, produced };
}

describe('kafkajs 2.2.4 producer: a partition that moves to a broker that already answered', () => {
  it('is never produced, yet the send resolves (the upstream defect the audit exists for)', async () => {
    const scenario = leaderMoveScenario(({ message }: { message: { partition: number } }) => message.partition);
    const result = await scenario.send();
    expect(scenario.produced).toEqual([0]);
    expect(result.map((r) => r.partition)).toEqual([0]);
  });

  it('is named by the partition audit', async () => {
    const audit = new PartitionAudit();
    const scenario = leaderMoveScenario(audit.createPartitioner());
    const result = await scenario.send();
    expect(audit.unproduced(scenario.record, result)).toEqual([1]);
  });

  it('makes a guarded producer reject the send instead of resolving it', async () => {
    const audit = new PartitionAudit();
    const scenario = leaderMoveScenario(audit.createPartitioner());
    const producer = audit.guard({ send: () => scenario.send() } as unknown as Producer);
    await expect(producer.send(scenario.record)).rejects.toThrow(new UnproducedPartitionError('rates', [1]));
  });

  it('lets a send through whose every partition was acknowledged', async () => {
    const audit = new PartitionAudit();
    const partition = audit.createPartitioner();
    const record: ProducerRecord = {
      topic: 'rates',
      acks: -1,
      messages: [
        { key: 'subject-a', value: '1' },
        { key: 'subject-b', value: '2' },
      ],
    };
    const partitionMetadata = [0, 1, 2, 3, 4, 5].map((partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
      partitionErrorCode: 0,
    }));
    const chosen = record.messages.map((message) => partition({ topic: 'rates', partitionMetadata, message }));
    const result = [...new Set(chosen)].map((p) => ({ topicName: 'rates', partition: p, errorCode: 0 }));
    const producer = audit.guard({ send: async () => result } as unknown as Producer);
    await expect(producer.send(record)).resolves.toEqual(result);
    expect(audit.unproduced(record, [])).toEqual([...new Set(chosen)].sort((a, b) => a - b));
  });
});

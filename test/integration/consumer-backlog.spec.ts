import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { encodeRateEvent } from '@rate/contracts';
import { AggregateRepository } from '@rate/redis';
import { histogramAbove, parsePromText } from '../harness/experiment';
import { consumerService, ensureService, stopService } from '../harness/stack';
import { eventually, TEST_APP_ENV, TEST_STACK_ENV, testKafka, testRedis, testStack, uniqueSubject } from './test-stack';

const PARTITIONS = 6;
const PER_PARTITION = 30_000;
const SUBJECTS_PER_PARTITION = 100;
const RATINGS_PER_SUBJECT = PER_PARTITION / SUBJECTS_PER_PARTITION;

/** The consumer's histogram of records per batch: how many batches held more than `records`. */
async function batchesLargerThan(records: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${TEST_STACK_ENV.RATE_CONSUMER_PORT}/metrics`)).text();
  return histogramAbove(parsePromText(text), 'rate_consumer_batch_size', records).above;
}

/**
 * A consumer that comes back to a backlog of minutes: 30,000 ratings per partition (≈ 6 MiB each,
 * more than one 4 MiB fetch) wait while it is stopped. Such batches overflowed the stack and jammed
 * the consumer for good (#19). Every rating must be counted once.
 */
describe('consumer backlog', () => {
  const config = testStack();
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis();
  });

  afterAll(async () => {
    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);
    redis.disconnect();
  });

  it(`applies ${PER_PARTITION} waiting ratings per partition exactly once after the consumer comes back`, async () => {
    // Each subject lives in one partition (as with the key partitioner) and gets rates 1..10 in turn.
    const subjects = Array.from({ length: PARTITIONS * SUBJECTS_PER_PARTITION }, () => uniqueSubject('backlog'));
    const expectedSum = (RATINGS_PER_SUBJECT / 10) * 55;

    expect(await stopService(config, 'consumer')).toMatch(/stopped|not running/);
    const producer = testKafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let round = 0; round < RATINGS_PER_SUBJECT; round += 10) {
        const topicMessages = Array.from({ length: PARTITIONS }, (_, partition) => ({
          topic: 'rates',
          messages: subjects
            .filter((_, s) => s % PARTITIONS === partition)
            .flatMap((subject) =>
              Array.from({ length: 10 }, (_, r) => ({
                key: subject,
                partition,
                value: encodeRateEvent({ v: 1, id: randomUUID(), subject, rate: r + 1, ts: Date.now() }),
              })),
            ),
        }));
        await producer.sendBatch({ acks: -1, topicMessages });
      }
    } finally {
      await producer.disconnect();
    }

    const started = Date.now();
    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);
    const repository = new AggregateRepository(redis);
    const counts = async () => {
      const aggregates = await Promise.all(subjects.map((s) => repository.read(s, PARTITIONS, 1, 10)));
      return aggregates.filter((a) => a.count === RATINGS_PER_SUBJECT && a.sum === expectedSum).length;
    };
    await eventually('every subject complete', counts, (complete) => complete === subjects.length, 240_000);
    process.stdout.write(
      `[backlog] ${PARTITIONS * PER_PARTITION} ratings applied ${((Date.now() - started) / 1000).toFixed(1)} s after the consumer was started\n`,
    );

    const aggregates = await Promise.all(subjects.map((s) => repository.read(s, PARTITIONS, 1, 10)));
    expect(aggregates.filter((a) => a.count !== RATINGS_PER_SUBJECT || a.sum !== expectedSum)).toEqual([]);
    // The backlog really arrived in batches a single script call could not take.
    expect(await batchesLargerThan(5000)).toBeGreaterThan(0);
  }, 360_000);
});

import Redis from 'ioredis';
import { ensureService, runningRecord, stopService } from '../harness/stack';
import { consumerService } from '../harness/stack';
import { eventually, postRate, readAggregate, TEST_APP_ENV, TEST_STACK_ENV, testRedis, testStack, uniqueSubject } from './test-stack';

describe('consumer recovery', () => {
  const config = testStack();
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis();
  });

  afterAll(async () => {
    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);
    redis.disconnect();
  });

  it('loses and double-counts nothing when the consumer is SIGKILLed mid-stream and restarted', async () => {
    const subjects = [uniqueSubject('kill-a'), uniqueSubject('kill-b'), uniqueSubject('kill-c')];
    const accepted = new Map<string, { count: number; sum: number }>(subjects.map((s) => [s, { count: 0, sum: 0 }]));
    let sent = 0;
    let killed = false;
    const consumer = runningRecord(config, 'consumer');
    expect(consumer).not.toBeNull();

    await Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        while (sent < 900) {
          const i = sent++;
          if (i === 300 && !killed) {
            killed = true;
            process.kill(consumer!.pid, 'SIGKILL');
          }
          const subject = subjects[(i + worker) % subjects.length];
          const rate = (i % 10) + 1;
          const response = await postRate(rate, subject);
          if (response.status === 202) {
            const a = accepted.get(subject)!;
            a.count++;
            a.sum += rate;
          }
        }
      }),
    );
    expect(killed).toBe(true);
    expect(runningRecord(config, 'consumer')).toBeNull();
    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);

    for (const subject of subjects) {
      const expected = accepted.get(subject)!;
      const aggregate = await eventually(
        `${subject} caught up`,
        () => readAggregate(subject),
        (a) => a.count >= expected.count,
        60_000,
      );
      expect({ count: aggregate.count, sum: aggregate.sum }).toEqual(expected);
    }
    expect([...accepted.values()].reduce((n, a) => n + a.count, 0)).toBe(900);
  });

  it('refills from Kafka what Redis lost (partition state gone) instead of staying short', async () => {
    const subject = uniqueSubject('refill');
    for (const rate of [1, 2, 3, 4]) expect((await postRate(rate, subject)).status).toBe(202);
    await eventually(
      'first ratings aggregated',
      () => readAggregate(subject),
      (a) => a.count === 4,
    );

    // Simulate a Redis that restarted without its last writes: the partition's offset and aggregates are gone.
    const keys = await redis.keys(`rate:{p*}:s:${subject}`);
    expect(keys).toHaveLength(1);
    const partitionTag = /\{p\d+\}/.exec(keys[0])![0];
    const partitionKeys = await redis.keys(`rate:${partitionTag}:*`);
    await redis.del(...partitionKeys);
    expect((await readAggregate(subject)).count).toBe(0);

    expect((await postRate(5, subject)).status).toBe(202);
    const aggregate = await eventually(
      'refilled from Kafka',
      () => readAggregate(subject),
      (a) => a.count >= 5,
      60_000,
    );
    expect(aggregate).toMatchObject({ count: 5, sum: 15, min: 1, max: 5 });
    const metrics = await (await fetch(`http://127.0.0.1:${TEST_STACK_ENV.RATE_CONSUMER_PORT}/metrics`)).text();
    expect(metrics).toMatch(/rate_consumer_seeks_total\{cause="gap"\} [1-9]/);
  });

  it('refills a quiet partition on assignment, without waiting for new traffic', async () => {
    const subject = uniqueSubject('quiet');
    for (const rate of [2, 4, 6]) expect((await postRate(rate, subject)).status).toBe(202);
    await eventually(
      'ratings aggregated',
      () => readAggregate(subject),
      (a) => a.count === 3,
    );

    // Redis loses the partition's state while its consumer is away; no rating arrives afterwards.
    await stopService(config, 'consumer');
    const keys = await redis.keys(`rate:{p*}:s:${subject}`);
    expect(keys).toHaveLength(1);
    const partitionTag = /\{p\d+\}/.exec(keys[0])![0];
    await redis.del(...(await redis.keys(`rate:${partitionTag}:*`)));
    expect((await readAggregate(subject)).count).toBe(0);

    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);
    const aggregate = await eventually(
      'refilled on assignment',
      () => readAggregate(subject),
      (a) => a.count >= 3,
      60_000,
    );
    expect(aggregate).toMatchObject({ count: 3, sum: 12, min: 2, max: 6 });
  });
});

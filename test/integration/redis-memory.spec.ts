import Redis from 'ioredis';
import { parseRedisMemory, redisMaxmemory } from '../harness/stack';
import { readiness } from './extra-app';
import { eventually, postRate, readAggregate, TEST_STACK_ENV, testRedis, testStack, uniqueSubject } from './test-stack';

const CONSUMER = `http://127.0.0.1:${TEST_STACK_ENV.RATE_CONSUMER_PORT}`;

/** At its memory limit Redis refuses writes (noeviction) instead of evicting aggregates. */
describe('Redis at its memory limit', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis();
  });

  afterAll(() => redis.disconnect());

  it('runs with the memory limit of the chart values and the noeviction policy', async () => {
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    const [, bytes] = (await redis.config('GET', 'maxmemory')) as [string, string];
    expect(Number(bytes)).toBe(parseRedisMemory(redisMaxmemory(testStack().valuesFile)));
  });

  it('loses and skips no rating while Redis refuses writes: the consumer retries and says why, GET still answers', async () => {
    const known = uniqueSubject('oom-known');
    expect((await postRate(3, known)).status).toBe(202);
    await eventually(
      'known subject aggregated',
      () => readAggregate(known),
      (a) => a.count === 1,
    );

    const [, limit] = (await redis.config('GET', 'maxmemory')) as [string, string];
    const subjects = Array.from({ length: 12 }, (_, i) => uniqueSubject(`oom-${i}`));
    await redis.config('SET', 'maxmemory', '1');
    try {
      const statuses = await Promise.all(subjects.map((s, i) => postRate((i % 10) + 1, s).then((r) => r.status)));
      expect(statuses).toEqual(subjects.map(() => 202));

      const ready = await readiness(
        CONSUMER,
        (status, body) => status === 503 && JSON.stringify(body).includes('"redis":{"message"'),
        30_000,
      );
      expect(ready.body).toMatchObject({ error: { redis: { status: 'down', message: expect.stringMatching(/OOM|maxmemory/) } } });
      expect(await readAggregate(known)).toMatchObject({ count: 1, sum: 3 });
      for (const s of subjects) expect((await readAggregate(s)).count).toBe(0);
    } finally {
      await redis.config('SET', 'maxmemory', limit);
    }

    for (const [i, s] of subjects.entries()) {
      const aggregate = await eventually(
        `${s} aggregated after the limit was raised`,
        () => readAggregate(s),
        (a) => a.count > 0,
      );
      expect(aggregate).toMatchObject({ count: 1, sum: (i % 10) + 1 });
    }
    await readiness(CONSUMER, (status) => status === 200, 30_000);
  });
});

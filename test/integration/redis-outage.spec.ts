import { ensureService, stopService } from '../harness/stack';
import { redisService } from '../harness/stack';
import { BASE_URL, eventually, postRate, readAggregate, testStack, uniqueSubject } from './test-stack';

describe('Redis outage', () => {
  const config = testStack();

  afterAll(async () => {
    await ensureService(config, redisService(config), () => undefined);
  });

  it('answers GET with 503, keeps accepting ratings into Kafka, and aggregates them once Redis is back', async () => {
    const subject = uniqueSubject('redis-down');
    await stopService(config, 'redis');

    const read = await fetch(`${BASE_URL}/rate?subject=${subject}`);
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('1');
    expect(await read.json()).toMatchObject({ statusCode: 503, message: expect.stringMatching(/Redis/) });
    const ready = await fetch(`${BASE_URL}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ error: { redis: { status: 'down' } } });

    const accepted = await Promise.all([2, 4, 6].map((rate) => postRate(rate, subject)));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);

    await ensureService(config, redisService(config), () => undefined);
    const aggregate = await eventually(
      'aggregated after Redis returned',
      () => readAggregate(subject).catch(() => null),
      (a) => a !== null && a.count >= 3,
      60_000,
    );
    expect(aggregate).toMatchObject({ count: 3, sum: 12, min: 2, max: 6 });
  });
});

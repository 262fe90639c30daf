import Redis from 'ioredis';
import { AggregateRepository, offsetKey, subjectKey } from '@rate/redis';
import { testRedis, uniqueSubject } from './test-stack';

/** The Lua batch script against the real Redis of the test stack, on partitions no topic uses. */
describe('AggregateRepository (Lua batch apply on real Redis)', () => {
  let redis: Redis;
  let repository: AggregateRepository;
  let partition = 900 + Math.floor(Math.random() * 1000) * 4;

  beforeAll(() => {
    redis = testRedis();
    repository = new AggregateRepository(redis);
  });
  beforeEach(() => {
    partition += 4;
  });
  afterAll(() => redis.disconnect());

  const rates = (subject: string, first: number, values: number[]) => values.map((rate, i) => ({ offset: String(first + i), subject, rate }));

  it('applies a batch and stores the last offset', async () => {
    const s = uniqueSubject('lua');
    const result = await repository.apply({ partition, firstOffset: '0', lastOffset: '2', rates: rates(s, 0, [3, 9, 3]) });
    expect(result).toEqual({ kind: 'applied', storedOffset: '2', applied: 3 });
    expect(await redis.get(offsetKey(partition))).toBe('2');
    expect(await redis.hgetall(subjectKey(partition, s))).toEqual({ count: '3', sum: '15', min: '3', max: '9', h3: '2', h9: '1' });
  });

  it('never counts a redelivered batch twice (crash between Redis and the Kafka commit)', async () => {
    const s = uniqueSubject('lua');
    const batch = { partition, firstOffset: '0', lastOffset: '3', rates: rates(s, 0, [1, 2, 3, 4]) };
    await repository.apply(batch);
    expect(await repository.apply(batch)).toEqual({ kind: 'applied', storedOffset: '3', applied: 0 });
    const overlapping = { partition, firstOffset: '2', lastOffset: '5', rates: rates(s, 2, [3, 4, 5, 6]) };
    expect(await repository.apply(overlapping)).toEqual({ kind: 'applied', storedOffset: '5', applied: 2 });
    const hash = await redis.hgetall(subjectKey(partition, s));
    expect(hash).toMatchObject({ count: '6', sum: '21', min: '1', max: '6' });
  });

  it('reports a gap without touching anything when Redis is behind the batch', async () => {
    const s = uniqueSubject('lua');
    await repository.apply({ partition, firstOffset: '0', lastOffset: '1', rates: rates(s, 0, [5, 5]) });
    const ahead = { partition, firstOffset: '10', lastOffset: '11', rates: rates(s, 10, [7, 7]) };
    expect(await repository.apply(ahead)).toEqual({ kind: 'gap', storedOffset: '1' });
    expect(await redis.hget(subjectKey(partition, s), 'count')).toBe('2');
    expect(await repository.apply({ ...ahead, allowGap: true })).toEqual({ kind: 'applied', storedOffset: '11', applied: 2 });
  });

  it('treats a partition Redis never saw as starting before offset 0', async () => {
    const s = uniqueSubject('lua');
    expect(await repository.storedOffset(partition)).toBe('-1');
    expect(await repository.apply({ partition, firstOffset: '5', lastOffset: '5', rates: rates(s, 5, [1]) })).toEqual({ kind: 'gap', storedOffset: '-1' });
  });

  it('advances the offset over a batch of poison only', async () => {
    await repository.apply({ partition, firstOffset: '0', lastOffset: '0', rates: [] });
    expect(await repository.apply({ partition, firstOffset: '1', lastOffset: '4', rates: [] })).toEqual({ kind: 'applied', storedOffset: '4', applied: 0 });
  });

  it('merges a subject over partitions on read', async () => {
    const s = uniqueSubject('lua');
    await redis.hset(subjectKey(0, s), { count: 2, sum: 12, min: 4, max: 8, h4: 1, h8: 1 });
    await redis.hset(subjectKey(3, s), { count: 1, sum: 1, min: 1, max: 1, h1: 1 });
    const aggregate = await repository.read(s, 6, 1, 10);
    expect(aggregate).toMatchObject({ subject: s, count: 3, sum: 13, min: 1, max: 8, avg: 13 / 3 });
    expect(aggregate.histogram).toMatchObject({ '1': 1, '4': 1, '8': 1, '2': 0 });
    await redis.del(subjectKey(0, s), subjectKey(3, s));
  });
});


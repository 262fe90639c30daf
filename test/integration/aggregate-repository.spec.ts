import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { AggregateRepository, BatchRecord, markKey, offsetKey, PartitionBatch, subjectKey } from '@rate/redis';
import { testRedis, uniqueSubject } from './test-stack';

const WINDOW_S = 3600;

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

  /** Good records at consecutive offsets from `first`; the mark names the log ("log-a") and the offset. */
  const ratings = (subject: string, first: number, values: number[], log = 'log-a'): BatchRecord[] =>
    values.map((rate, i) => ({ offset: String(first + i), mark: `${log}-${first + i}`, rating: { id: randomUUID(), subject, rate } }));
  const poison = (offset: number, log = 'log-a'): BatchRecord => ({ offset: String(offset), mark: `${log}-${offset}`, rating: null });
  const batch = (records: BatchRecord[], extra: Partial<PartitionBatch> = {}): PartitionBatch => ({
    partition,
    firstOffset: records[0].offset,
    lastOffset: records[records.length - 1].offset,
    records,
    idempotencyWindowS: WINDOW_S,
    ...extra,
  });

  it('applies a batch and stores the last offset and its mark', async () => {
    const s = uniqueSubject('lua');
    const result = await repository.apply(batch(ratings(s, 0, [3, 9, 3])));
    expect(result).toEqual({ kind: 'applied', storedOffset: '2', applied: 3, duplicates: 0 });
    expect(await redis.get(offsetKey(partition))).toBe('2');
    expect(await redis.get(markKey(partition))).toBe('log-a-2');
    expect(await redis.hgetall(subjectKey(partition, s))).toEqual({ count: '3', sum: '15', min: '3', max: '9', h3: '2', h9: '1' });
    expect(await repository.positions([partition, partition + 1])).toEqual(
      new Map([
        [partition, { offset: 2n, mark: 'log-a-2' }],
        [partition + 1, { offset: -1n, mark: null }],
      ]),
    );
  });

  it('never counts a redelivered batch twice (crash between Redis and the Kafka commit)', async () => {
    const s = uniqueSubject('lua');
    const records = ratings(s, 0, [1, 2, 3, 4, 5, 6]);
    await repository.apply(batch(records.slice(0, 4)));
    expect(await repository.apply(batch(records.slice(0, 4)))).toEqual({ kind: 'applied', storedOffset: '3', applied: 0, duplicates: 0 });
    expect(await repository.apply(batch(records.slice(2, 6)))).toEqual({ kind: 'applied', storedOffset: '5', applied: 2, duplicates: 0 });
    expect(await redis.hgetall(subjectKey(partition, s))).toMatchObject({ count: '6', sum: '21', min: '1', max: '6' });
  });

  it('reports a gap without touching anything when Redis is behind the batch', async () => {
    const s = uniqueSubject('lua');
    await repository.apply(batch(ratings(s, 0, [5, 5])));
    const ahead = batch(ratings(s, 10, [7, 7]));
    expect(await repository.apply(ahead)).toEqual({ kind: 'gap', storedOffset: '1' });
    expect(await redis.hget(subjectKey(partition, s), 'count')).toBe('2');
    expect(await repository.apply({ ...ahead, allowGap: true })).toEqual({
      kind: 'applied',
      storedOffset: '11',
      applied: 2,
      duplicates: 0,
    });
  });

  it('does not skip a batch wholly behind the stored offset as applied: it reports where Redis stands', async () => {
    // kafkajs answers OFFSET_OUT_OF_RANGE by reading from the log start: on a recreated, shorter
    // log a running consumer gets offsets Redis already passed — ratings never applied.
    const s = uniqueSubject('lua');
    await repository.apply(batch(ratings(s, 0, [1, 1, 1, 1, 1, 1])));
    const behind = batch(ratings(s, 0, [9, 9], 'log-b'));
    expect(await repository.apply(behind)).toEqual({ kind: 'behind', storedOffset: '5' });
    expect(await redis.hget(subjectKey(partition, s), 'count')).toBe('6');
    expect(await redis.get(offsetKey(partition))).toBe('5');
  });

  it('treats a partition Redis never saw as starting before offset 0', async () => {
    const s = uniqueSubject('lua');
    expect((await repository.positions([partition])).get(partition)).toEqual({ offset: -1n, mark: null });
    expect(await repository.apply(batch(ratings(s, 5, [1])))).toEqual({ kind: 'gap', storedOffset: '-1' });
  });

  it('advances the offset over poison, whose mark is kept like any other', async () => {
    await repository.apply(batch([poison(0)]));
    expect(await repository.apply(batch([poison(1), poison(2), poison(3), poison(4)]))).toEqual({
      kind: 'applied',
      storedOffset: '4',
      applied: 0,
      duplicates: 0,
    });
    expect(await redis.get(markKey(partition))).toBe('log-a-4');
  });

  it('applies an event id once within the window: a second record with that id is a duplicate', async () => {
    const s = uniqueSubject('lua');
    const [first, other] = ratings(s, 0, [4, 6]);
    const retried: BatchRecord = { offset: '7', mark: 'log-a-7', rating: { ...first.rating!, rate: 4 } };
    expect(await repository.apply(batch([first, other]))).toEqual({ kind: 'applied', storedOffset: '1', applied: 2, duplicates: 0 });
    expect(await repository.apply(batch([retried], { allowGap: true }))).toEqual({
      kind: 'applied',
      storedOffset: '7',
      applied: 0,
      duplicates: 1,
    });
    // Twice within one batch as well.
    const again = ratings(s, 8, [2, 2]);
    again[1].rating!.id = again[0].rating!.id;
    expect(await repository.apply(batch(again))).toEqual({ kind: 'applied', storedOffset: '9', applied: 1, duplicates: 1 });
    expect(await redis.hgetall(subjectKey(partition, s))).toMatchObject({ count: '3', sum: '12' });
    const ttl = await redis.ttl(`rate:{p${partition}}:id:${first.rating!.id}:${s}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(WINDOW_S);
  });

  it('takes one id under two subjects for two ratings (a key reused for another subject)', async () => {
    const [a, b] = [uniqueSubject('lua'), uniqueSubject('lua')];
    const id = randomUUID();
    const records: BatchRecord[] = [a, b].map((subject, i) => ({
      offset: String(i),
      mark: `log-a-${i}`,
      rating: { id, subject, rate: 3 },
    }));
    expect(await repository.apply(batch(records))).toMatchObject({ applied: 2, duplicates: 0 });
  });

  it('keeps no event ids when the window is 0', async () => {
    const s = uniqueSubject('lua');
    const [record] = ratings(s, 0, [5]);
    await repository.apply(batch([record], { idempotencyWindowS: 0 }));
    await repository.apply(batch([{ ...record, offset: '1', mark: 'log-a-1' }], { idempotencyWindowS: 0 }));
    expect(await redis.hget(subjectKey(partition, s), 'count')).toBe('2');
    expect(await redis.keys(`rate:{p${partition}}:id:*`)).toEqual([]);
  });

  it('recognises a new log by the record at the stored offset, and then counts it from its start, aggregates kept', async () => {
    const s = uniqueSubject('lua');
    await repository.apply(batch(ratings(s, 0, [1, 1, 1, 1, 1, 1])));
    // The same log again at the stored offset: the usual resume, nothing to reset.
    expect(await repository.apply(batch(ratings(s, 5, [1])))).toMatchObject({ kind: 'applied', storedOffset: '5' });

    // A recreated log that already grew past the stored offset: offset 5 holds another record.
    const newLog = ratings(s, 5, [9, 9], 'log-b');
    expect(await repository.apply(batch(newLog))).toEqual({ kind: 'reset', storedOffset: '5' });
    expect(await repository.positions([partition])).toEqual(new Map([[partition, { offset: -1n, mark: null }]]));
    expect(await redis.hget(subjectKey(partition, s), 'count')).toBe('6');

    expect(await repository.apply(batch(ratings(s, 0, [9, 9, 9, 9, 9, 9, 9], 'log-b')))).toMatchObject({
      kind: 'applied',
      storedOffset: '6',
      applied: 7,
    });
    expect(await redis.hgetall(subjectKey(partition, s))).toMatchObject({ count: '13', sum: String(6 + 63) });
  });

  it('resets a position only if it did not move meanwhile', async () => {
    const s = uniqueSubject('lua');
    await repository.apply(batch(ratings(s, 0, [3, 3, 3])));
    expect(await repository.resetPosition(partition, 1n)).toBe(false);
    expect(await redis.get(offsetKey(partition))).toBe('2');
    expect(await repository.resetPosition(partition, 2n)).toBe(true);
    expect(await repository.positions([partition])).toEqual(new Map([[partition, { offset: -1n, mark: null }]]));
    expect(await redis.hget(subjectKey(partition, s), 'count')).toBe('3');
  });

  it('stores offsets beyond 10^14 exactly (Lua numbers would print them as 1e+14)', async () => {
    const s = uniqueSubject('lua');
    const first = 123_456_789_012_345;
    expect(await repository.apply(batch(ratings(s, first, [2, 2]), { allowGap: true }))).toMatchObject({ kind: 'applied', applied: 2 });
    expect(await redis.get(offsetKey(partition))).toBe(String(first + 1));
  });

  it('applies a batch as large as one fetch returns (4 MiB: 20,000 records over 600 subjects) whole', async () => {
    // Spreading 20k records' keys and arguments into one call overflowed Node's stack, and that
    // batch was retried forever (#19).
    const subjects = Array.from({ length: 600 }, () => uniqueSubject('big'));
    const records: BatchRecord[] = Array.from({ length: 20_000 }, (_, i) => ({
      offset: String(i),
      mark: `log-a-${i}`,
      rating: { id: randomUUID(), subject: subjects[i % subjects.length], rate: (i % 10) + 1 },
    }));
    expect(await repository.apply(batch(records))).toEqual({ kind: 'applied', storedOffset: '19999', applied: 20_000, duplicates: 0 });
    const counts = await Promise.all(subjects.slice(0, 3).map((s) => redis.hget(subjectKey(partition, s), 'count')));
    expect(counts).toEqual(['34', '34', '34']);
    expect(await redis.get(markKey(partition))).toBe('log-a-19999');
  });

  it('applies only what follows the stored offset of a large redelivered batch, wherever it lies in it', async () => {
    const s = uniqueSubject('big');
    const records = ratings(
      s,
      0,
      Array.from({ length: 12_000 }, () => 2),
    );
    expect(await repository.apply(batch(records.slice(0, 9_001)))).toMatchObject({ kind: 'applied', applied: 9_001 });
    expect(await repository.apply(batch(records))).toEqual({ kind: 'applied', storedOffset: '11999', applied: 2_999, duplicates: 0 });
    expect(await redis.hget(subjectKey(partition, s), 'count')).toBe('12000');
    // A new log under the stored offset of a large batch is still recognised.
    expect(
      await repository.apply(
        batch(
          ratings(
            s,
            0,
            Array.from({ length: 12_500 }, () => 9),
            'log-b',
          ),
        ),
      ),
    ).toEqual({ kind: 'reset', storedOffset: '11999' });
  });

  it('does not take a mark stored by an earlier version (timestamp:event id) for a new log', async () => {
    // Marks were `<timestamp>:<event id>`; they are now `<timestamp>:#<digest of the bytes>`.
    const s = uniqueSubject('lua');
    await redis.set(offsetKey(partition), '4');
    await redis.set(markKey(partition), `1700000000004:${randomUUID()}`);
    const resumed: BatchRecord[] = [4, 5].map((o) => ({
      offset: String(o),
      mark: `170000000000${o}:#0123456789abcdef`,
      rating: { id: randomUUID(), subject: s, rate: 3 },
    }));
    expect(await repository.apply(batch(resumed))).toEqual({ kind: 'applied', storedOffset: '5', applied: 1, duplicates: 0 });
    await redis.set(offsetKey(partition), '5');
    await redis.set(markKey(partition), `1700000000005:${randomUUID()}`);
    const otherLog: BatchRecord[] = [
      { offset: '5', mark: '1800000000005:#0123456789abcdef', rating: { id: randomUUID(), subject: s, rate: 3 } },
    ];
    expect(await repository.apply(batch(otherLog))).toEqual({ kind: 'reset', storedOffset: '5' });
  });

  it('keeps no id for a rating without one (no Idempotency-Key: Kafka redelivery is fenced by the offset)', async () => {
    const s = uniqueSubject('lua');
    const records: BatchRecord[] = [0, 1].map((o) => ({
      offset: String(o),
      mark: `log-a-${o}`,
      rating: { id: null, subject: s, rate: 4 },
    }));
    expect(await repository.apply(batch(records))).toMatchObject({ applied: 2, duplicates: 0 });
    expect(await redis.keys(`rate:{p${partition}}:id:*`)).toEqual([]);
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

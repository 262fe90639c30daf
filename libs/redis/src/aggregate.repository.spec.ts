import Redis from 'ioredis';
import { AggregateRepository, PartitionBatch, RECORDS_PER_CALL } from './aggregate.repository';

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

/** The script call only: its arguments after the keys, and what Redis answers for the partition. */
function fakeRedis(answer: (partition: number, keysAndArgs: (string | number)[]) => Promise<unknown>, now: () => number = Date.now) {
  const calls: (string | number)[][] = [];
  const redis = {
    defineCommand: jest.fn(),
    rateApplyBatch: jest.fn(async (numKeys: number, keysAndArgs: (string | number)[]) => {
      calls.push(keysAndArgs.slice(numKeys));
      return answer(Number(/\{p(\d+)\}/.exec(String(keysAndArgs[0]))![1]), keysAndArgs.slice(numKeys));
    }),
  };
  return { repository: new AggregateRepository(redis as unknown as Redis, now), calls };
}

const batch = (partition: number, records = 1): PartitionBatch => ({
  partition,
  firstOffset: '0',
  lastOffset: String(records - 1),
  records: Array.from({ length: records }, (_, i) => ({
    offset: String(i),
    mark: `m${i}`,
    rating: { id: null, subject: `s${i % 7}`, rate: 3 },
  })),
  idempotencyWindowS: 600,
});

describe('AggregateRepository', () => {
  it('remembers a failed apply per partition: another partition applied meanwhile does not clear it (#19)', async () => {
    const { repository } = fakeRedis(async (partition, args) => {
      if (partition === 1) throw new Error(OOM);
      return [1, args[1], 1, 0];
    });
    await expect(repository.apply(batch(1))).rejects.toThrow(/OOM/);
    await repository.apply(batch(2));
    expect(repository.lastApplyError).toBe(OOM);
    expect(repository.refusesWrites(1)).toBe(true);
    expect(repository.refusesWrites(2)).toBe(false);
  });

  it('tells Redis refusing writes from Redis being unreachable', async () => {
    const { repository } = fakeRedis(async () => {
      throw new Error('Connection is closed.');
    });
    await expect(repository.apply(batch(3))).rejects.toThrow(/closed/);
    expect(repository.lastApplyError).toBe('Connection is closed.');
    expect(repository.refusesWrites(3)).toBe(false);
  });

  it('clears a partition failure once a batch of that partition is applied', async () => {
    let fail = true;
    const { repository } = fakeRedis(async (_p, args) => {
      if (fail) throw new Error(OOM);
      return [1, args[1], 1, 0];
    });
    await expect(repository.apply(batch(1))).rejects.toThrow();
    fail = false;
    await repository.apply(batch(1));
    expect(repository.lastApplyError).toBeNull();
  });

  it('forgets a failure no batch retries any more (the partition went to another member)', async () => {
    let now = 1_000_000;
    const { repository } = fakeRedis(
      async () => {
        throw new Error(OOM);
      },
      () => now,
    );
    await expect(repository.apply(batch(5))).rejects.toThrow();
    now += 14_000;
    expect(repository.refusesWrites(5)).toBe(true);
    now += 2_000;
    expect(repository.lastApplyError).toBeNull();
    expect(repository.refusesWrites(5)).toBe(false);
  });

  it('sends a large batch in calls of at most RECORDS_PER_CALL records, each continuing where the last ended', async () => {
    const { repository, calls } = fakeRedis(async (_p, args) => [1, args[1], (args.length - 4) / 5, 0]);
    const result = await repository.apply(batch(0, RECORDS_PER_CALL * 2 + 5));
    expect(result).toEqual({
      kind: 'applied',
      storedOffset: String(RECORDS_PER_CALL * 2 + 4),
      applied: RECORDS_PER_CALL * 2 + 5,
      duplicates: 0,
    });
    expect(calls.map(([first, last]) => [first, last])).toEqual([
      ['0', String(RECORDS_PER_CALL - 1)],
      [String(RECORDS_PER_CALL), String(2 * RECORDS_PER_CALL - 1)],
      [String(2 * RECORDS_PER_CALL), String(2 * RECORDS_PER_CALL + 4)],
    ]);
  });
});

import { PartitionMetadata, Partitioners, ProducerRecord } from 'kafkajs';
import { BatchingProducer, ProduceUnavailableError } from './batching-producer';
import { setTimeout as sleep } from 'node:timers/promises';

/** A stand-in for kafkajs' producer whose acknowledgements the test releases by hand. */
class FakeProducer {
  readonly sent: ProducerRecord[] = [];
  private pending: { resolve: () => void; reject: (e: Error) => void }[] = [];

  sendEach(records: ProducerRecord[]): Promise<PromiseSettledResult<never[]>[]> {
    return Promise.allSettled(records.map((record) => this.send(record)));
  }

  send(record: ProducerRecord): Promise<never[]> {
    this.sent.push(record);
    return new Promise((resolve, reject) => this.pending.push({ resolve: () => resolve([]), reject }));
  }

  ack(): void {
    this.pending.shift()?.resolve();
  }

  fail(message: string): void {
    this.pending.shift()?.reject(new Error(message));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function setup(maxBatch = 100, timeoutMs = 10_000) {
  const fake = new FakeProducer();
  const batches: { size: number; ok: boolean }[] = [];
  const producer = new BatchingProducer(fake, 'rates', maxBatch, timeoutMs, {
    batchSent: (size, _seconds, ok) => batches.push({ size, ok }),
  });
  return { fake, producer, batches };
}

describe('BatchingProducer', () => {
  it('sends the first message at once and gathers the rest while it is in flight', async () => {
    const { fake, producer, batches } = setup();
    const first = producer.send({ key: 'a', value: '1' });
    const rest = [2, 3, 4].map((n) => producer.send({ key: 'a', value: String(n) }));
    expect(fake.sent).toHaveLength(1);
    fake.ack();
    await first;
    await tick();
    expect(fake.sent).toHaveLength(2);
    expect(fake.sent[1].messages.map((m) => m.value)).toEqual(['2', '3', '4']);
    expect(fake.sent[1].acks).toBe(-1);
    fake.ack();
    await Promise.all(rest);
    expect(batches).toEqual([
      { size: 1, ok: true },
      { size: 3, ok: true },
    ]);
  });

  it('resolves a caller only with its own batch', async () => {
    const { fake, producer } = setup();
    let secondDone = false;
    const first = producer.send({ value: '1' });
    void producer.send({ value: '2' }).then(() => (secondDone = true));
    fake.ack();
    await first;
    await tick();
    expect(secondDone).toBe(false);
    fake.ack();
    await tick();
    expect(secondDone).toBe(true);
  });

  it('caps a batch at maxBatch messages', async () => {
    const { fake, producer } = setup(2);
    const sends = [1, 2, 3, 4, 5].map((n) => producer.send({ value: String(n) }));
    for (let i = 0; i < 3; i++) {
      fake.ack();
      await tick();
    }
    await Promise.all(sends);
    expect(fake.sent.map((r) => r.messages.length)).toEqual([1, 2, 2]);
  });

  it('rejects every caller of a failed batch as unavailable', async () => {
    const { fake, producer, batches } = setup();
    const first = producer.send({ value: '1' });
    fake.fail('broker down');
    await expect(first).rejects.toThrow(ProduceUnavailableError);
    await expect(first).rejects.toThrow('Kafka produce failed: broker down');
    expect(batches).toEqual([{ size: 1, ok: false }]);
  });

  it('sends each partition of a batch as a record of its own, on murmur2 of the key, and fails only the failed partition', async () => {
    const fake = new FakeProducer();
    const producer = new BatchingProducer(fake, 'rates', 100, 10_000, undefined, 5, () => 6);
    const keys = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'];
    const partitionMetadata = [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: 0 })) as PartitionMetadata[];
    const expected = keys.map((key) =>
      Partitioners.DefaultPartitioner()({ topic: 'rates', partitionMetadata, message: { key, value: key } }),
    );
    const sends = keys.map((key) => producer.send({ key, value: key }));
    await sleep(20);
    const byPartition = new Map(fake.sent.map((r) => [r.messages[0].partition, r.messages.map((m) => m.key)]));
    expect(byPartition.size).toBe(new Set(expected).size);
    expect(byPartition.size).toBeGreaterThan(1);
    for (const [i, key] of keys.entries()) expect(byPartition.get(expected[i])).toContain(key);
    fake.fail('NOT_ENOUGH_REPLICAS');
    for (let i = 1; i < fake.sent.length; i++) fake.ack();
    const answers = await Promise.allSettled(sends);
    const failed = keys.filter((_, i) => answers[i].status === 'rejected');
    expect(failed.sort()).toEqual([...(byPartition.get(fake.sent[0].messages[0].partition) as string[])].sort());
  });

  it('times out a queued message and never sends it', async () => {
    const { fake, producer } = setup(100, 50);
    const first = producer.send({ value: 'in-flight' });
    const queued = producer.send({ value: 'queued' });
    await expect(queued).rejects.toThrow('Kafka did not acknowledge within 50 ms');
    await expect(first).rejects.toThrow(ProduceUnavailableError);
    fake.ack();
    await tick();
    expect(fake.sent.flatMap((r) => r.messages.map((m) => m.value))).toEqual(['in-flight']);
  });

  it('flushes what was accepted and refuses new messages afterwards', async () => {
    const { fake, producer } = setup();
    const sends = [producer.send({ value: '1' }), producer.send({ value: '2' })];
    const flushed = producer.flush();
    await expect(producer.send({ value: 'late' })).rejects.toThrow('shutting down');
    fake.ack();
    await tick();
    fake.ack();
    await flushed;
    await Promise.all(sends);
    expect(fake.sent).toHaveLength(2);
  });
});

describe('BatchingProducer with linger', () => {
  it('holds the first message of an idle producer for lingerMs to gather company', async () => {
    const fake = new FakeProducer();
    const producer = new BatchingProducer(fake, 'rates', 100, 10_000, undefined, 30);
    const sends = [producer.send({ value: '1' }), producer.send({ value: '2' })];
    expect(fake.sent).toHaveLength(0);
    await sleep(60);
    expect(fake.sent.map((r) => r.messages.length)).toEqual([2]);
    fake.ack();
    await Promise.all(sends);
  });

  it('sends at once when a full batch is waiting, and flush does not wait out the linger', async () => {
    const fake = new FakeProducer();
    const producer = new BatchingProducer(fake, 'rates', 2, 10_000, undefined, 10_000);
    const sends = [producer.send({ value: '1' }), producer.send({ value: '2' })];
    expect(fake.sent.map((r) => r.messages.length)).toEqual([2]);
    const third = producer.send({ value: '3' });
    fake.ack();
    await Promise.all(sends);
    await tick();
    expect(fake.sent).toHaveLength(2);
    const flushed = producer.flush();
    fake.ack();
    await flushed;
    await third;
  });
});

import { randomUUID } from 'node:crypto';
import { eventIdForIdempotencyKey } from '@rate/contracts';
import { eventually, readAggregate, testKafka, uniqueSubject } from './test-stack';

describe('idempotency window', () => {
  it('counts a keyed event id once although Kafka holds it twice (a client retry written at two offsets)', async () => {
    const subject = uniqueSubject('dup-id');
    const event = (id: string, rate: number) => JSON.stringify({ v: 1, id, subject, rate, ts: Date.now() });
    // Only a request with an Idempotency-Key can be written twice with one id (a retried 503).
    const retried = eventIdForIdempotencyKey(uniqueSubject('key'));
    const producer = testKafka().producer();
    await producer.connect();
    try {
      // Separate sends: separate offsets (and batches), as a 503 retried by the client would be.
      await producer.send({ topic: 'rates', acks: -1, messages: [{ key: subject, value: event(retried, 4) }] });
      await producer.send({ topic: 'rates', acks: -1, messages: [{ key: subject, value: event(retried, 4) }] });
      await producer.send({ topic: 'rates', acks: -1, messages: [{ key: subject, value: event(randomUUID(), 6) }] });
    } finally {
      await producer.disconnect();
    }
    // Same key, same partition, in order: once the last record is in, the duplicate was decided.
    const aggregate = await eventually(
      'last record aggregated',
      () => readAggregate(subject),
      (a) => a.histogram['6'] >= 1,
    );
    expect(aggregate).toMatchObject({ count: 2, sum: 10, histogram: expect.objectContaining({ '4': 1, '6': 1 }) });
  });
});

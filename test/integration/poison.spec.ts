import { randomUUID } from 'node:crypto';
import { Kafka, KafkaMessage } from 'kafkajs';
import { eventually, readAggregate, testKafka, uniqueSubject } from './test-stack';

describe('poison records', () => {
  let kafka: Kafka;
  beforeAll(() => {
    kafka = testKafka();
  });

  it('go to rates.dlq with a reason; the good records around them are aggregated', async () => {
    const subject = uniqueSubject('poison');
    const good = (rate: number) => JSON.stringify({ v: 1, id: randomUUID(), subject, rate, ts: Date.now() });
    const records = [
      { value: good(2), poison: null },
      { value: 'not json at all', poison: 'value is not JSON' },
      { value: JSON.stringify({ v: 2, id: randomUUID(), subject, rate: 5, ts: Date.now() }), poison: 'unknown schema version 2' },
      { value: JSON.stringify({ v: 1, id: randomUUID(), subject, rate: 11, ts: Date.now() }), poison: 'rate is not an integer in [1, 10]' },
      { value: good(8), poison: null },
    ];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'rates', acks: -1, messages: records.map((r) => ({ key: subject, value: r.value })) });
    await producer.disconnect();

    const aggregate = await eventually('good records aggregated', () => readAggregate(subject), (a) => a.count >= 2);
    expect(aggregate).toMatchObject({ count: 2, sum: 10, min: 2, max: 8 });

    const dead: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: `poison-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'rates.dlq', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() === subject) dead.push(message);
      },
    });
    try {
      await eventually('dead letters', async () => dead.length, (n) => n >= 3, 30_000);
    } finally {
      await consumer.disconnect();
    }
    expect(dead.map((m) => m.value?.toString())).toEqual(records.filter((r) => r.poison).map((r) => r.value));
    expect(dead.map((m) => m.headers?.['dlq-reason']?.toString())).toEqual(records.filter((r) => r.poison).map((r) => r.poison));
    for (const message of dead) {
      expect(message.headers?.['dlq-topic']?.toString()).toBe('rates');
      expect(message.headers?.['dlq-offset']?.toString()).toMatch(/^\d+$/);
    }
  });
});

import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, KafkaMessage } from 'kafkajs';
import { eventually, readAggregate, TEST_STACK_ENV, testKafka, uniqueSubject } from './test-stack';

const DLQ_TOPIC = 'rates.dlq';

async function produce(kafka: Kafka, messages: { key: string; value: string }[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic: 'rates', acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** The dead letters of one subject (their key), read from the start of the DLQ topic. */
async function deadLetters(kafka: Kafka, subject: string, expected: number): Promise<KafkaMessage[]> {
  const dead: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: `poison-test-${randomUUID()}`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic: DLQ_TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString() === subject) dead.push(message);
    },
  });
  try {
    await eventually(
      'dead letters',
      async () => dead.length,
      (n) => n >= expected,
      30_000,
    );
  } finally {
    await consumer.disconnect();
  }
  return dead;
}

async function consumerMetric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${TEST_STACK_ENV.RATE_CONSUMER_PORT}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

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
    await produce(
      kafka,
      records.map((r) => ({ key: subject, value: r.value })),
    );

    const aggregate = await eventually(
      'good records aggregated',
      () => readAggregate(subject),
      (a) => a.count >= 2,
    );
    expect(aggregate).toMatchObject({ count: 2, sum: 10, min: 2, max: 8 });

    const dead = await deadLetters(kafka, subject, 3);
    expect(dead.map((m) => m.value?.toString())).toEqual(records.filter((r) => r.poison).map((r) => r.value));
    expect(dead.map((m) => m.headers?.['dlq-reason']?.toString())).toEqual(records.filter((r) => r.poison).map((r) => r.poison));
    for (const message of dead) {
      expect(message.headers?.['dlq-topic']?.toString()).toBe('rates');
      expect(message.headers?.['dlq-offset']?.toString()).toMatch(/^\d+$/);
    }
  });

  it('copies a bounded dead letter: a huge poison value is truncated and says so', async () => {
    const subject = uniqueSubject('poison-big');
    const huge = `{"v":1,"junk":"${'x'.repeat(300_000)}"}`;
    const good = JSON.stringify({ v: 1, id: randomUUID(), subject, rate: 3, ts: Date.now() });
    await produce(kafka, [
      { key: subject, value: huge },
      { key: subject, value: good },
    ]);
    await eventually(
      'good record aggregated',
      () => readAggregate(subject),
      (a) => a.count >= 1,
    );

    const [letter] = await deadLetters(kafka, subject, 1);
    expect(letter.value!.length).toBeLessThan(huge.length);
    expect(letter.value!.toString()).toBe(huge.slice(0, letter.value!.length));
    expect(letter.headers?.['dlq-truncated']?.toString()).toBe('value');
    expect(letter.headers?.['dlq-value-bytes']?.toString()).toBe(String(huge.length));
  });

  it('never blocks the partition when the DLQ topic refuses a dead letter: counted, logged, offset advances', async () => {
    const subject = uniqueSubject('poison-refused');
    const admin = kafka.admin();
    await admin.connect();
    const dlqConfig = (entries: { name: string; value: string }[]) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: DLQ_TOPIC, configEntries: entries }],
      });
    const droppedBefore = await consumerMetric('rate_consumer_dead_letters_dropped_total');
    try {
      // Smaller than any dead letter (its headers alone): the broker answers MESSAGE_TOO_LARGE.
      await dlqConfig([{ name: 'max.message.bytes', value: '64' }]);
      await produce(kafka, [
        { key: subject, value: 'poison nobody can dead-letter' },
        { key: subject, value: JSON.stringify({ v: 1, id: randomUUID(), subject, rate: 9, ts: Date.now() }) },
      ]);
      const aggregate = await eventually(
        'the good record after the poison aggregated',
        () => readAggregate(subject),
        (a) => a.count >= 1,
        60_000,
      );
      expect(aggregate).toMatchObject({ count: 1, sum: 9 });
      expect(await consumerMetric('rate_consumer_dead_letters_dropped_total')).toBeGreaterThan(droppedBefore);
    } finally {
      await dlqConfig([{ name: 'max.message.bytes', value: '1048588' }]);
      await admin.disconnect();
    }
  });
});

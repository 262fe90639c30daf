import { Kafka, Message, ProducerRecord } from 'kafkajs';
import { loadConfig } from '@rate/config';
import { JsonLogger } from '@rate/observability';
import Redis from 'ioredis';
import { ConsumerState } from '../kafka/consumer-state';
import { ConsumerMetrics } from '../metrics/consumer.metrics';
import { DeadLetter, DeadLetterProducer, MAX_KEY_BYTES, MAX_REASON_CHARS } from './dead-letter.producer';

const config = loadConfig('rate-consumer', { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379', DLQ_MAX_VALUE_BYTES: '2048' });

/** kafkajs wraps what it will not retry: KafkaJSNonRetriableError caused by the protocol error. */
function kafkaFailure(type: string, retriable: boolean): Error {
  const cause = Object.assign(new Error(`broker says ${type}`), { name: 'KafkaJSProtocolError', type, retriable });
  return Object.assign(new Error(cause.message), {
    name: retriable ? 'KafkaJSNumberOfRetriesExceeded' : 'KafkaJSNonRetriableError',
    retriable: false,
    cause,
  });
}

const letter = (offset: string, value = 'junk', reason = 'value is not JSON'): DeadLetter => ({
  partition: 1,
  offset,
  key: Buffer.from('subject'),
  value: Buffer.from(value),
  reason,
});

describe('DeadLetterProducer', () => {
  let sends: ProducerRecord[];
  let answer: (record: ProducerRecord) => Promise<void>;
  let connects: number;
  let metrics: ConsumerMetrics;
  let logger: { write: jest.Mock };
  let producer: DeadLetterProducer;

  beforeEach(() => {
    sends = [];
    connects = 0;
    answer = async () => undefined;
    const fake = {
      connect: async () => {
        connects++;
      },
      disconnect: async () => undefined,
      send: async (record: ProducerRecord) => {
        sends.push(record);
        await answer(record);
      },
    };
    // Metrics only: Redis is asked at scrape time, which these tests never do.
    metrics = new ConsumerMetrics({} as Redis, new ConsumerState());
    logger = { write: jest.fn() };
    producer = new DeadLetterProducer({ producer: () => fake } as unknown as Kafka, config, logger as unknown as JsonLogger, metrics);
  });

  const dropped = async () => (await metrics.registry.getSingleMetric('rate_consumer_dead_letters_dropped_total')!.get()).values;

  it('copies poison with its reason and origin, acks=all, in one request', async () => {
    await producer.send([letter('7'), letter('8')]);
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ topic: 'rates.dlq', acks: -1 });
    expect(sends[0].messages[0]).toEqual({
      key: Buffer.from('subject'),
      value: Buffer.from('junk'),
      headers: { 'dlq-reason': 'value is not JSON', 'dlq-topic': 'rates', 'dlq-partition': '1', 'dlq-offset': '7' },
    });
  });

  it('bounds the copy: value, key and reason truncated, and headers say what and how big the value was', () => {
    const huge: DeadLetter = {
      partition: 0,
      offset: '1',
      key: Buffer.alloc(5000, 'k'),
      value: Buffer.alloc(100_000, 'v'),
      reason: 'r'.repeat(10_000),
    };
    const message: Message = producer.toMessage(huge);
    expect((message.value as Buffer).length).toBe(2048);
    expect((message.key as Buffer).length).toBe(MAX_KEY_BYTES);
    expect(message.headers).toMatchObject({
      'dlq-reason': 'r'.repeat(MAX_REASON_CHARS),
      'dlq-truncated': 'key,value,reason',
      'dlq-value-bytes': '100000',
    });
    expect(producer.toMessage(letter('2')).headers).not.toHaveProperty('dlq-truncated');
  });

  it('drops what the topic refuses (MESSAGE_TOO_LARGE) at once, and still sends the others one by one', async () => {
    answer = async (record) => {
      if (record.messages.some((m) => (m.value as Buffer).toString() === 'too big')) throw kafkaFailure('MESSAGE_TOO_LARGE', false);
    };
    await expect(producer.send([letter('7'), letter('8', 'too big'), letter('9')])).resolves.toBeUndefined();
    expect(sends.map((s) => s.messages.map((m) => m.headers!['dlq-offset']))).toEqual([['7', '8', '9'], ['7'], ['8'], ['9']]);
    expect(await dropped()).toEqual([expect.objectContaining({ value: 1, labels: { error: 'MESSAGE_TOO_LARGE' } })]);
    expect(logger.write).toHaveBeenCalledWith(
      'error',
      expect.stringMatching(/dead letter dropped/),
      expect.objectContaining({ partition: 1, offset: '8' }),
    );
  });

  it('gives up on a transient failure once the client’s bounded retries are spent: dropped, counted, never thrown', async () => {
    answer = async () => {
      throw kafkaFailure('UNKNOWN_TOPIC_OR_PARTITION', true);
    };
    await expect(producer.send([letter('7'), letter('8')])).resolves.toBeUndefined();
    expect(sends).toHaveLength(1);
    expect(await dropped()).toEqual([expect.objectContaining({ value: 2, labels: { error: 'UNKNOWN_TOPIC_OR_PARTITION' } })]);
  });

  it('connects again after a failed connect', async () => {
    let failConnect = true;
    const fake = {
      connect: async () => {
        connects++;
        if (failConnect) throw new Error('connection refused');
      },
      disconnect: async () => undefined,
      send: async (record: ProducerRecord) => {
        sends.push(record);
      },
    };
    producer = new DeadLetterProducer({ producer: () => fake } as unknown as Kafka, config, logger as unknown as JsonLogger, metrics);
    await producer.send([letter('1')]);
    expect(sends).toHaveLength(0);
    expect((await dropped())[0]).toMatchObject({ value: 1 });
    failConnect = false;
    await producer.send([letter('2')]);
    expect(sends).toHaveLength(1);
    expect(connects).toBe(2);
  });

  it('sends nothing for no letters', async () => {
    await producer.send([]);
    expect(sends).toHaveLength(0);
    expect(connects).toBe(0);
  });
});

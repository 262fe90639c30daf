import { Kafka } from 'kafkajs';
import { ensureService, stopService } from '../harness/stack';
import { consumerService } from '../harness/stack';
import { auditAggregates, Outcome } from './audited-load';
import { BASE_URL, eventually, postRate, TEST_APP_ENV, TEST_STACK_ENV, testKafka, testStack, uniqueSubject } from './test-stack';
import { setTimeout as sleep } from 'node:timers/promises';

const TOPIC = 'rates';
const PARTITIONS = 6;

/** Posts `count` ratings, each its own subject; a 503 (the API catching up with a new topic) is retried as a new request. */
async function postAudited(prefix: string, count: number): Promise<Outcome[]> {
  const requests: Outcome[] = [];
  for (let accepted = 0; accepted < count;) {
    const request: Outcome = {
      subject: uniqueSubject(prefix),
      rate: (requests.length % 10) + 1,
      status: 'error',
      sentAt: Date.now(),
      answeredAt: 0,
    };
    requests.push(request);
    const response = await postRate(request.rate, request.subject).catch(() => null);
    request.status = response?.status ?? 'error';
    request.answeredAt = Date.now();
    if (request.status === 202) accepted++;
    else await sleep(200);
    if (requests.length > count + 400) throw new Error(`the API accepted only ${accepted} of ${requests.length} ratings`);
  }
  return requests;
}

/**
 * Deletes the topic and creates it again. Kafka deletes asynchronously, and a create may succeed
 * yet fail waiting for leaders: retried until the topic exists (create answers false) with a
 * leader for every partition.
 */
async function recreateTopic(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [TOPIC], timeout: 30_000 });
    await eventually(
      'topic recreated',
      () =>
        admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true }).then(
          () => true,
          () => false,
        ),
      (done) => done,
      60_000,
    );
    await eventually(
      'partitions led',
      () =>
        admin.fetchTopicOffsets(TOPIC).then(
          (o) => o.length,
          () => 0,
        ),
      (n) => n === PARTITIONS,
      60_000,
    );
  } finally {
    await admin.disconnect();
  }
}

async function resetsCounted(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${TEST_STACK_ENV.RATE_CONSUMER_PORT}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('rate_consumer_log_resets_total'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function expectExact(requests: Outcome[], what: string): Promise<void> {
  const accepted = requests.filter((r) => r.status === 202);
  await eventually(
    `${what} aggregated`,
    () => auditAggregates(BASE_URL, accepted),
    (a) => a.lost.length === 0,
    90_000,
  ).catch(() => undefined);
  const audit = await auditAggregates(BASE_URL, requests);
  expect({ what, lost: audit.lost, duplicated: audit.duplicated }).toEqual({ what, lost: [], duplicated: [] });
}

describe('Kafka topic deleted and recreated (a reset log)', () => {
  const config = testStack();
  const kafka = testKafka();

  afterAll(async () => {
    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);
  });

  it('is detected while the consumer runs: the new, shorter log is counted from its start, old aggregates kept', async () => {
    const before = await postAudited('reset-old', 120);
    await expectExact(before, 'ratings of the old log');

    await recreateTopic(kafka);
    const after = await postAudited('reset-new', 30);
    await expectExact(after, 'ratings of the new log');
    await expectExact(before, 'ratings of the old log, after the reset');
    expect(await resetsCounted()).toBeGreaterThan(0);
  });

  it('is detected when the new log has grown past the stored offsets while the consumer was down', async () => {
    const before = await postAudited('reset-old2', 30);
    await expectExact(before, 'ratings of the old log');
    await stopService(config, 'consumer');

    await recreateTopic(kafka);
    const after = await postAudited('reset-long', 150);
    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);
    await expectExact(after, 'ratings of the new, longer log');
    await expectExact(before, 'ratings of the old log, after the reset');
    expect(await resetsCounted()).toBeGreaterThan(0);
  });
});

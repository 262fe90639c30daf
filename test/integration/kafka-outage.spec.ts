import { ensureService, runningRecord, stopService } from '../harness/stack';
import { kafkaService } from '../harness/stack';
import { eventually, postRate, readAggregate, TEST_APP_ENV, TEST_STACK_ENV, testStack, uniqueSubject } from './test-stack';

const replicaUrl = `http://127.0.0.1:${TEST_STACK_ENV.RATE_API_BASE_PORT}`;
const produceTimeoutMs = Number(TEST_APP_ENV.PRODUCE_TIMEOUT_MS);

describe('Kafka outage', () => {
  const config = testStack();

  afterAll(async () => {
    await ensureService(config, kafkaService(config), () => undefined);
  });

  it('answers 503 with Retry-After while Kafka is down, never 202, staying in rotation, and recovers without a restart', async () => {
    const subject = uniqueSubject('outage');
    const apiBefore = runningRecord(config, 'api-1');
    expect(apiBefore).not.toBeNull();
    expect((await postRate(5, subject, replicaUrl)).status).toBe(202);

    await stopService(config, 'kafka');

    const started = Date.now();
    const response = await postRate(5, subject, replicaUrl);
    const elapsed = Date.now() - started;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringMatching(/rating not accepted/),
    });
    // Bounded: the configured produce timeout plus slack for a loaded machine, never a hang.
    expect(elapsed).toBeLessThan(produceTimeoutMs + 8000);

    // Every replica fails alike: each stays in rotation to answer 503 (out of it, a Service would
    // have no endpoint left and clients would get refused connections); the metric says why.
    const ready = await fetch(`${replicaUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await (await fetch(`${replicaUrl}/metrics`)).text()).toMatch(/^rate_kafka_ready 0$/m);
    // A Kafka outage is no reason to restart the API: liveness stays green.
    expect((await fetch(`${replicaUrl}/health/live`)).status).toBe(200);

    const during = await Promise.all([1, 2, 3].map(() => postRate(7, subject, replicaUrl)));
    expect(during.map((r) => r.status)).toEqual([503, 503, 503]);

    await ensureService(config, kafkaService(config), () => undefined);
    const accepted = await eventually(
      'API accepts again',
      async () => (await postRate(9, subject, replicaUrl)).status,
      (s) => s === 202,
      60_000,
    );
    expect(accepted).toBe(202);
    expect(runningRecord(config, 'api-1')).toEqual(apiBefore);
    await eventually(
      'Kafka usable again',
      async () => (await (await fetch(`${replicaUrl}/metrics`)).text()).match(/^rate_kafka_ready (\d)$/m)?.[1],
      (s) => s === '1',
      30_000,
    );

    // Only acknowledged ratings count: the first 5 and the ratings of value 9 after recovery.
    const aggregate = await eventually(
      'ratings aggregated',
      () => readAggregate(subject),
      (a) => a.histogram['5'] >= 1 && a.histogram['9'] >= 1,
      90_000,
    );
    expect(aggregate.histogram['5']).toBe(1);
  });
});

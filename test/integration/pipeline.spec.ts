import { BASE_URL, eventually, postRate, readAggregate, TEST_REPLICAS, TEST_STACK_ENV, uniqueSubject } from './test-stack';

/** Sends `total` requests with at most `concurrency` in flight; returns the responses in order. */
async function concurrently<T>(total: number, concurrency: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(total);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        results[i] = await send(i);
      }
    }),
  );
  return results;
}

describe('rating pipeline through nginx and 3 API replicas', () => {
  it('aggregates many concurrent ratings over several subjects exactly', async () => {
    const subjects = [uniqueSubject('pipe-a'), uniqueSubject('pipe-b'), uniqueSubject('pipe-c'), uniqueSubject('pipe-d')];
    const total = 1200;
    const plan = Array.from({ length: total }, (_, i) => ({ subject: subjects[i % subjects.length], rate: ((i * 7) % 10) + 1 }));
    const replicas = new Map<string, number>();
    const responses = await concurrently(total, 48, async (i) => {
      const response = await postRate(plan[i].rate, plan[i].subject);
      const replica = response.headers.get('x-replica') ?? 'none';
      replicas.set(replica, (replicas.get(replica) ?? 0) + 1);
      return { status: response.status, body: (await response.json()) as { id: string; subject: string; rate: number } };
    });

    expect(responses.filter((r) => r.status !== 202)).toEqual([]);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(total);
    expect(responses[5].body).toMatchObject(plan[5]);
    expect([...replicas.keys()].sort()).toEqual(Array.from({ length: TEST_REPLICAS }, (_, i) => `api-${i + 1}`));

    for (const subject of subjects) {
      const mine = plan.filter((p) => p.subject === subject).map((p) => p.rate);
      const histogram: Record<string, number> = {};
      for (let r = 1; r <= 10; r++) histogram[String(r)] = mine.filter((m) => m === r).length;
      const sum = mine.reduce((a, b) => a + b, 0);
      const aggregate = await eventually(
        `aggregate of ${subject}`,
        () => readAggregate(subject),
        (a) => a.count >= mine.length,
      );
      expect(aggregate).toEqual({
        subject,
        count: mine.length,
        sum,
        avg: sum / mine.length,
        min: Math.min(...mine),
        max: Math.max(...mine),
        histogram,
      });
    }
  });

  it('accepts the JSON body form and answers with the event id', async () => {
    const subject = uniqueSubject('json');
    const response = await fetch(`${BASE_URL}/rate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate: 3, subject }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['id', 'rate', 'subject']);
    expect(body).toMatchObject({ rate: 3, subject });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const aggregate = await eventually(
      'json rating aggregated',
      () => readAggregate(subject),
      (a) => a.count === 1,
    );
    expect(aggregate).toMatchObject({ count: 1, sum: 3, min: 3, max: 3, avg: 3 });
  });

  it('uses the subject "default" when none is given (seed-compatible POST /rate?rate=N)', async () => {
    const before = await readAggregate('default');
    const response = await postRate(10);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ subject: 'default', rate: 10 });
    await eventually(
      'default subject counted',
      () => readAggregate('default'),
      (a) => a.count === before.count + 1,
    );
  });

  it('answers count 0 and nulls for an unseen subject', async () => {
    const subject = uniqueSubject('unseen');
    const aggregate = await readAggregate(subject);
    expect(aggregate).toEqual({
      subject,
      count: 0,
      sum: 0,
      avg: null,
      min: null,
      max: null,
      histogram: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0, '6': 0, '7': 0, '8': 0, '9': 0, '10': 0 },
    });
  });

  it('reports ready with both dependencies named', async () => {
    const response = await fetch(`${BASE_URL}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', details: { kafka: { status: 'up' }, redis: { status: 'up' } } });
    const consumer = await fetch(`http://127.0.0.1:${TEST_STACK_ENV.RATE_CONSUMER_PORT}/health/ready`);
    expect(consumer.status).toBe(200);
    expect((await fetch(`${BASE_URL}/health/live`)).status).toBe(200);
  });

  it('exports Prometheus metrics from the API and the consumer', async () => {
    await postRate(4, uniqueSubject('metrics'));
    const api = await (await fetch(`http://127.0.0.1:${TEST_STACK_ENV.RATE_API_BASE_PORT}/metrics`)).text();
    expect(api).toMatch(/rate_http_requests_total\{route="\/rate",method="POST",status="202"\} \d+/);
    expect(api).toMatch(/rate_http_request_duration_seconds_bucket\{le="0\.05",route="\/rate",method="POST",status="202"\} \d+/);
    expect(api).toMatch(/rate_produce_batch_size_count \d+/);
    expect(api).toContain('rate_http_requests_in_flight');
    const consumer = await (await fetch(`http://127.0.0.1:${TEST_STACK_ENV.RATE_CONSUMER_PORT}/metrics`)).text();
    expect(consumer).toMatch(/rate_consumer_events_applied_total [1-9]\d*/);
    expect(consumer).toMatch(/rate_consumer_lag\{partition="\d+"\} \d+/);
  });
});

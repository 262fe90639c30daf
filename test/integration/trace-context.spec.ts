import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_URL, eventually, testKafka, testStack, uniqueSubject } from './test-stack';

/** The Kafka record of one accepted rating, found by its event id from the partitions' ends before the POST. */
async function recordOf(id: string, ends: { partition: number; offset: string }[]): Promise<{ headers: Record<string, string> }> {
  const kafka = testKafka();
  const consumer = kafka.consumer({ groupId: `trace-test-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic: 'rates', fromBeginning: true });
  let found: { headers: Record<string, string> } | null = null;
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value?.toString().includes(id)) {
        found = { headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) };
      }
    },
  });
  for (const { partition, offset } of ends) consumer.seek({ topic: 'rates', partition, offset });
  try {
    return await eventually(
      `record ${id} on the topic`,
      async () => found,
      (f) => f !== null,
      60_000,
    ).then((f) => f!);
  } finally {
    await consumer.disconnect();
  }
}

describe('W3C trace context', () => {
  it('carries the caller traceparent into the Kafka record and the consumer log', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    const ends = (await admin.fetchTopicOffsets('rates')).map((o) => ({ partition: o.partition, offset: o.high }));
    await admin.disconnect();

    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(`${BASE_URL}/rate?rate=6&subject=${uniqueSubject('trace')}`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };

    const record = await recordOf(id, ends);
    expect(record.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const log = join(testStack().runDir, 'logs', 'consumer.log');
    const line = await eventually(
      'consumer log line with the trace id',
      async () =>
        readFileSync(log, 'utf8')
          .split('\n')
          .find((l) => l.includes(traceId)) ?? null,
      (l) => l !== null,
    );
    expect(JSON.parse(line!)).toMatchObject({ msg: 'rating aggregated', trace_id: traceId, id });
  });

  it('starts a trace for a request without one', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    const ends = (await admin.fetchTopicOffsets('rates')).map((o) => ({ partition: o.partition, offset: o.high }));
    await admin.disconnect();
    const response = await fetch(`${BASE_URL}/rate?rate=2&subject=${uniqueSubject('untraced')}`, {
      method: 'POST',
      headers: { traceparent: 'not-a-trace' },
    });
    expect(response.status).toBe(202);
    const record = await recordOf(((await response.json()) as { id: string }).id, ends);
    expect(record.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});

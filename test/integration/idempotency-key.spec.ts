import { eventIdForIdempotencyKey } from '@rate/contracts';
import { eventIdsSince, topicEnds } from './audited-load';
import { BASE_URL, testKafka, topicEnd, uniqueSubject } from './test-stack';

function post(subject: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${BASE_URL}/rate?rate=4&subject=${subject}`, { method: 'POST', headers });
}

describe('Idempotency-Key on POST /rate', () => {
  const kafka = testKafka();

  it('gives a retried request the same event id (derived from the key), in the answer and in Kafka', async () => {
    const from = await topicEnds(kafka, 'rates');
    const subject = uniqueSubject('idem');
    const key = uniqueSubject('client-retry');
    const answers = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await post(subject, { 'idempotency-key': key });
      expect(response.status).toBe(202);
      answers.push((await response.json()) as { id: string });
    }
    const expectedId = eventIdForIdempotencyKey(key);
    expect(answers.map((a) => a.id)).toEqual([expectedId, expectedId]);
    // Both attempts are in Kafka under the one id: the consumer applies it once.
    expect((await eventIdsSince(kafka, 'rates', from)).get(expectedId)).toBe(2);
  });

  it('keeps random ids without the header', async () => {
    const subject = uniqueSubject('no-key');
    const ids = [];
    for (let attempt = 0; attempt < 2; attempt++) ids.push(((await (await post(subject, {})).json()) as { id: string }).id);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it.each([['two words'], ['k'.repeat(65)], ['a,b']])('answers 400 to the key %j and produces nothing', async (key) => {
    const before = await topicEnd(kafka, 'rates');
    const response = await post(uniqueSubject('bad-key'), { 'idempotency-key': key });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/^Idempotency-Key header must match/),
    });
    expect(await topicEnd(kafka, 'rates')).toBe(before);
  });
});

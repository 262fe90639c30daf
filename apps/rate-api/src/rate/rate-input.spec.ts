import { idempotencyKeyFrom, ratingFromBody, ratingFromQuery, subjectFromQuery } from './rate-input';

const bounds = { rateMin: 1, rateMax: 10 };
const body = (raw: string) => ratingFromBody(raw, JSON.parse(raw) as unknown, bounds);

describe('ratingFromQuery', () => {
  it.each([
    [{ rate: '1' }, { rate: 1, subject: 'default' }],
    [
      { rate: '10', subject: 'movie:42' },
      { rate: 10, subject: 'movie:42' },
    ],
    [
      { rate: '5', subject: 'A.b_c-9' },
      { rate: 5, subject: 'A.b_c-9' },
    ],
  ])('accepts %j', (query, expected) => {
    expect(ratingFromQuery(query, bounds)).toEqual({ ok: true, value: expected });
  });

  it.each([
    [{}, 'rate is required'],
    [{ rate: '' }, 'rate must be an integer from 1 to 10, got ""'],
    [{ rate: '0' }, 'got 0'],
    [{ rate: '11' }, 'got 11'],
    [{ rate: '-1' }, 'got -1'],
    [{ rate: '5.0' }, 'got "5.0"'],
    [{ rate: '5.5' }, 'got "5.5"'],
    [{ rate: '1e1' }, 'got "1e1"'],
    [{ rate: '05' }, 'got "05"'],
    [{ rate: ' 5' }, 'got " 5"'],
    [{ rate: ['5', '6'] }, 'query parameter rate is repeated'],
    [{ rate: '5', subject: '' }, 'subject must match'],
    [{ rate: '5', subject: 'has space' }, 'subject must match'],
    [{ rate: '5', subject: 'x'.repeat(65) }, 'subject must match'],
    [{ rate: '5', subject: ['a', 'b'] }, 'query parameter subject is repeated'],
    [{ rate: '5', rat: '5' }, 'unknown query parameter "rat"'],
  ])('rejects %j', (query, message) => {
    const result = ratingFromQuery(query as Record<string, unknown>, bounds);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it('follows configured bounds', () => {
    expect(ratingFromQuery({ rate: '0' }, { rateMin: 0, rateMax: 5 }).ok).toBe(true);
    expect(ratingFromQuery({ rate: '6' }, { rateMin: 0, rateMax: 5 }).ok).toBe(false);
  });
});

describe('ratingFromBody', () => {
  it('accepts an integer rate and an optional subject', () => {
    expect(body('{"rate":5}')).toEqual({ ok: true, value: { rate: 5, subject: 'default' } });
    expect(body('{ "subject" : "s1", "rate" : 10 }')).toEqual({ ok: true, value: { rate: 10, subject: 's1' } });
  });

  it.each([
    ['{"rate":"5"}', 'rate must be a JSON integer from 1 to 10, got "5"'],
    ['{"rate":5.0}', 'got "5.0"'],
    ['{"rate":5.5}', 'got "5.5"'],
    ['{"rate":1e1}', 'got "1e1"'],
    ['{"rate":0}', 'got 0'],
    ['{"rate":11}', 'got 11'],
    ['{"rate":-1}', 'got -1'],
    ['{"rate":null}', 'got null'],
    ['{"rate":[5]}', 'got [5]'],
    ['{"rate":1,"rate":2}', 'exactly once'],
    ['{"subject":"s"}', 'rate is required'],
    ['[5]', 'body must be a JSON object'],
    ['5', 'body must be a JSON object'],
    ['{"rate":5,"subject":"a b"}', 'subject must match'],
    ['{"rate":5,"subject":7}', 'subject must match'],
    ['{"rate":5,"extra":1}', 'unknown field "extra"'],
  ])('rejects %s', (raw, message) => {
    const result = body(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});

describe('subjectFromQuery', () => {
  it('defaults to the default subject and validates the rest', () => {
    expect(subjectFromQuery({})).toEqual({ ok: true, value: 'default' });
    expect(subjectFromQuery({ subject: 'x:1' })).toEqual({ ok: true, value: 'x:1' });
    expect(subjectFromQuery({ subject: '../etc' }).ok).toBe(false);
    expect(subjectFromQuery({ rate: '1' }).ok).toBe(false);
  });
});

describe('idempotencyKeyFrom', () => {
  it('accepts no header, or a key of the subject charset up to 64 characters', () => {
    expect(idempotencyKeyFrom(undefined)).toEqual({ ok: true, value: undefined });
    expect(idempotencyKeyFrom('order-17:try.2_x')).toEqual({ ok: true, value: 'order-17:try.2_x' });
    expect(idempotencyKeyFrom('k'.repeat(64))).toEqual({ ok: true, value: 'k'.repeat(64) });
  });

  it.each([[''], ['k'.repeat(65)], ['two words'], ['a, b'], [['a', 'b']]])('rejects %j with the expected form', (header) => {
    const result = idempotencyKeyFrom(header);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^Idempotency-Key header must match \^\[A-Za-z0-9\._:-\]\{1,64\}\$/);
  });
});

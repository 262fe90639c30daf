import { decodeRateEvent, encodeRateEvent, RateEvent } from './rate-event';

const bounds = { rateMin: 1, rateMax: 10 };
const event: RateEvent = { v: 1, id: '3b241101-e2bb-4255-8caf-4136c566a962', subject: 'movie:42', rate: 7, ts: 1700000000000 };
const encoded = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('rate event', () => {
  it('round-trips through encode and decode', () => {
    expect(decodeRateEvent(Buffer.from(encodeRateEvent(event)), bounds)).toEqual({ ok: true, event });
  });

  it.each([
    [null, 'empty value'],
    [Buffer.from('{nope'), 'value is not JSON'],
    [encoded([1, 2]), 'value is not a JSON object'],
    [encoded({ ...event, v: 2 }), 'unknown schema version 2'],
    [encoded({ ...event, id: 'x' }), 'id is not a UUID'],
    [encoded({ ...event, subject: 'bad subject' }), 'subject does not match'],
    [encoded({ ...event, rate: 11 }), 'rate is not an integer in [1, 10]'],
    [encoded({ ...event, rate: 2.5 }), 'rate is not an integer'],
    [encoded({ ...event, rate: '5' }), 'rate is not an integer'],
    [encoded({ ...event, ts: -1 }), 'ts is not epoch milliseconds'],
  ])('treats %s as poison: %s', (value, reason) => {
    const result = decodeRateEvent(value as Buffer | null, bounds);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('drops unknown fields when decoding', () => {
    const result = decodeRateEvent(encoded({ ...event, extra: true }), bounds);
    expect(result).toEqual({ ok: true, event });
  });
});

import { decodeRateEvent, encodeRateEvent } from './rate-event';
import { eventIdForIdempotencyKey, IDEMPOTENCY_KEY_PATTERN, nameBasedUuid } from './event-id';

describe('eventIdForIdempotencyKey', () => {
  it('is a standard version-5 UUID (RFC 9562 test vector)', () => {
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('gives a retried request the same id and another key another id', () => {
    expect(eventIdForIdempotencyKey('order-17:retry')).toBe(eventIdForIdempotencyKey('order-17:retry'));
    expect(eventIdForIdempotencyKey('order-17:retry')).not.toBe(eventIdForIdempotencyKey('order-18:retry'));
  });

  it('is an id the event schema accepts', () => {
    const id = eventIdForIdempotencyKey('k');
    const decoded = decodeRateEvent(Buffer.from(encodeRateEvent({ v: 1, id, subject: 's', rate: 5, ts: 1 })), { rateMin: 1, rateMax: 10 });
    expect(decoded).toEqual({ ok: true, event: { v: 1, id, subject: 's', rate: 5, ts: 1 } });
  });

  it('keys have the subject charset and at most 64 characters', () => {
    expect(IDEMPOTENCY_KEY_PATTERN.test('a'.repeat(64))).toBe(true);
    for (const bad of ['', 'a'.repeat(65), 'has space', 'a,b', 'ü']) expect(IDEMPOTENCY_KEY_PATTERN.test(bad)).toBe(false);
  });
});

import { createHash } from 'node:crypto';

/** Same charset and limit as a subject (DESIGN.md "HTTP API"). */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** This project's name-based UUID namespace: keys of other systems map to other ids. */
const RATE_EVENT_NAMESPACE = '48709993-62aa-4b80-af7d-029d078e95c9';

/**
 * The event id of a request that carries an Idempotency-Key: a name-based UUID (RFC 9562 v5) of
 * the key, so a retried request produces an event with the same id, which the consumer applies
 * at most once.
 */
export function eventIdForIdempotencyKey(key: string): string {
  return nameBasedUuid(RATE_EVENT_NAMESPACE, key);
}

/**
 * Whether an event id came from an Idempotency-Key (version 5) rather than at random (version 4):
 * only such an id can repeat, so only it needs an id key in Redis.
 */
export function isKeyedEventId(id: string): boolean {
  return id[14] === '5';
}

/** UUID version 5: SHA-1 of namespace bytes + name, with the version and variant bits set. */
export function nameBasedUuid(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

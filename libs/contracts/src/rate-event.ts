/** The event on topic `rates`, shared by producer and consumer (DESIGN.md "Event"). */
export const RATE_EVENT_VERSION = 1;
export const SUBJECT_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const DEFAULT_SUBJECT = 'default';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RateEvent {
  v: typeof RATE_EVENT_VERSION;
  id: string;
  subject: string;
  rate: number;
  ts: number;
}

export interface RateBounds {
  rateMin: number;
  rateMax: number;
}

export type DecodeResult = { ok: true; event: RateEvent } | { ok: false; reason: string };

export function encodeRateEvent(event: RateEvent): string {
  return JSON.stringify({ v: event.v, id: event.id, subject: event.subject, rate: event.rate, ts: event.ts });
}

/** Anything that does not decode is poison: the reason goes with it to the dead-letter topic. */
export function decodeRateEvent(value: Buffer | null, bounds: RateBounds): DecodeResult {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'value is not a JSON object' };
  }
  const e = parsed as Record<string, unknown>;
  if (e.v !== RATE_EVENT_VERSION) return { ok: false, reason: `unknown schema version ${JSON.stringify(e.v)}` };
  if (typeof e.id !== 'string' || !UUID_PATTERN.test(e.id)) return { ok: false, reason: 'id is not a UUID' };
  if (typeof e.subject !== 'string' || !SUBJECT_PATTERN.test(e.subject)) {
    return { ok: false, reason: 'subject does not match ^[A-Za-z0-9._:-]{1,64}$' };
  }
  if (typeof e.rate !== 'number' || !Number.isInteger(e.rate) || e.rate < bounds.rateMin || e.rate > bounds.rateMax) {
    return { ok: false, reason: `rate is not an integer in [${bounds.rateMin}, ${bounds.rateMax}]` };
  }
  if (typeof e.ts !== 'number' || !Number.isSafeInteger(e.ts) || e.ts < 0) {
    return { ok: false, reason: 'ts is not epoch milliseconds' };
  }
  return { ok: true, event: { v: RATE_EVENT_VERSION, id: e.id, subject: e.subject, rate: e.rate, ts: e.ts } };
}

import { DEFAULT_SUBJECT, IDEMPOTENCY_KEY_PATTERN, RateBounds, SUBJECT_PATTERN } from '@rate/contracts';

export interface Rating {
  rate: number;
  subject: string;
}

export type InputResult<T> = { ok: true; value: T } | { ok: false; message: string };

const INTEGER_LITERAL = /^-?(0|[1-9]\d*)$/;
const POST_QUERY_KEYS = ['rate', 'subject'];
const BODY_KEYS = ['rate', 'subject'];

function fail<T>(message: string): InputResult<T> {
  return { ok: false, message };
}

function rateFromLiteral(literal: string, bounds: RateBounds): InputResult<number> {
  if (!INTEGER_LITERAL.test(literal)) {
    return fail(`rate must be an integer from ${bounds.rateMin} to ${bounds.rateMax}, got ${JSON.stringify(literal)}`);
  }
  const rate = Number(literal);
  if (rate < bounds.rateMin || rate > bounds.rateMax) {
    return fail(`rate must be an integer from ${bounds.rateMin} to ${bounds.rateMax}, got ${literal}`);
  }
  return { ok: true, value: rate };
}

function subjectFrom(value: unknown): InputResult<string> {
  if (value === undefined) return { ok: true, value: DEFAULT_SUBJECT };
  if (typeof value !== 'string' || !SUBJECT_PATTERN.test(value)) {
    return fail(`subject must match ${SUBJECT_PATTERN.source}, got ${JSON.stringify(value)}`);
  }
  return { ok: true, value };
}

function checkQueryKeys(query: Record<string, unknown>, allowed: string[]): InputResult<void> {
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key)) return fail(`unknown query parameter ${JSON.stringify(key)} (expected ${allowed.join(', ')})`);
    if (Array.isArray(value)) return fail(`query parameter ${key} is repeated`);
  }
  return { ok: true, value: undefined };
}

/** Seed-compatible form: POST /rate?rate=N[&subject=S]. */
export function ratingFromQuery(query: Record<string, unknown>, bounds: RateBounds): InputResult<Rating> {
  const keys = checkQueryKeys(query, POST_QUERY_KEYS);
  if (!keys.ok) return keys;
  if (query.rate === undefined) return fail('rate is required: POST /rate?rate=N or a JSON body {"rate":N}');
  const rate = rateFromLiteral(String(query.rate), bounds);
  if (!rate.ok) return rate;
  const subject = subjectFrom(query.subject);
  if (!subject.ok) return subject;
  return { ok: true, value: { rate: rate.value, subject: subject.value } };
}

/**
 * JSON form. `raw` is the body text: JSON.parse turns 5.0 and 1e1 into integers, so the rate's
 * literal is checked in the source text as well.
 */
export function ratingFromBody(raw: string, body: unknown, bounds: RateBounds): InputResult<Rating> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('body must be a JSON object {"rate":N,"subject":"S"}');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !BODY_KEYS.includes(k));
  if (unknown.length > 0) return fail(`unknown field ${JSON.stringify(unknown[0])} in body (expected rate, subject)`);
  if (fields.rate === undefined) return fail('rate is required in the body');
  const literals = [...raw.matchAll(/"rate"\s*:\s*([^,}\s]*)/g)];
  if (literals.length !== 1) return fail('body must contain the field "rate" exactly once');
  if (typeof fields.rate !== 'number') {
    return fail(`rate must be a JSON integer from ${bounds.rateMin} to ${bounds.rateMax}, got ${JSON.stringify(fields.rate)}`);
  }
  const rate = rateFromLiteral(literals[0][1], bounds);
  if (!rate.ok) return rate;
  const subject = subjectFrom(fields.subject);
  if (!subject.ok) return subject;
  return { ok: true, value: { rate: rate.value, subject: subject.value } };
}

/** GET /rate?subject=S */
export function subjectFromQuery(query: Record<string, unknown>): InputResult<string> {
  const keys = checkQueryKeys(query, ['subject']);
  if (!keys.ok) return keys;
  return subjectFrom(query.subject);
}

/** The optional Idempotency-Key header of POST /rate (undefined when absent). */
export function idempotencyKeyFrom(header: unknown): InputResult<string | undefined> {
  if (header === undefined) return { ok: true, value: undefined };
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header)) {
    return fail(`Idempotency-Key header must match ${IDEMPOTENCY_KEY_PATTERN.source} (given once), got ${JSON.stringify(header)}`);
  }
  return { ok: true, value: header };
}

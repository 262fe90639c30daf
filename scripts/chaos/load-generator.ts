import { request } from 'node:http';
import { Attempt, RequestRecord } from './chaos-types';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  baseUrl: string;
  /** requests per second, sent on schedule whatever the answers (open model) */
  rate: number;
  /** subjects are `${prefix}-${n}`: every request its own */
  prefix: string;
  /** instead, request n rates `${prefix}-${n % subjectPool}` (a long run keeps Redis' subject count bounded); its key stays its own */
  subjectPool?: number;
  /** every n-th request carries an Idempotency-Key (0: none, 1: all) */
  keyEvery: number;
  /** retry each 503 / unanswered request with the same key after Retry-After, up to this many attempts */
  maxAttempts: number;
  timeoutMs: number;
  /** called with each 202 as it arrives (the catch-up tracker follows them) */
  onAccepted?: (subject: string, at: number) => void;
}

/** Beyond this many requests in flight the generator records a drop instead of queueing without bound. */
const MAX_IN_FLIGHT = 2000;

/** One POST /rate; never throws: a missing answer is status 0 with the reason. */
export function postRating(
  baseUrl: string,
  subject: string,
  rate: number,
  key: string | undefined,
  timeoutMs: number,
): Promise<Attempt & { retryAfterS: number }> {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number, error?: string, retryAfterS = 1) => {
      if (settled) return;
      settled = true;
      resolve({ sentAt, answeredAt: Date.now(), status, retryAfterS, ...(error ? { error } : {}) });
    };
    const url = new URL(`/rate?rate=${rate}&subject=${encodeURIComponent(subject)}`, baseUrl);
    // A fresh connection per request: a client's keepalive race with a reloading balancer
    // is not what this measures.
    const req = request(
      url,
      { method: 'POST', agent: false, timeout: timeoutMs, headers: key ? { 'idempotency-key': key } : {} },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0, undefined, Number(res.headers['retry-after']) || 1));
        res.on('error', (error) => done(0, (error as NodeJS.ErrnoException).code ?? error.message));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      done(0, 'timeout');
    });
    req.on('error', (error) => done(0, (error as NodeJS.ErrnoException).code ?? error.message));
    req.end();
  });
}

/**
 * Open-model load: request n is sent at start + n / rate, whether or not earlier ones were
 * answered, so a stalled service sees the same arrivals as a healthy one (a closed loop would
 * slow down exactly when the service does and hide the failures).
 */
export class OpenLoad {
  readonly records: RequestRecord[] = [];
  private readonly answered: Attempt[] = [];
  /** requests not sent because too many were in flight */
  dropped = 0;
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private sent = 0;
  private startedAt = 0;

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), 5);
  }

  /** Stops sending; resolves when every request (and its retries) has its final answer. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Answered attempts sent at or after `since` (for "is the API accepting again"). */
  answeredSince(since: number): Attempt[] {
    return this.answered.filter((a) => a.sentAt >= since);
  }

  private tick(): void {
    const due = Math.floor(((Date.now() - this.startedAt) * this.options.rate) / 1000);
    while (this.sent < due) {
      const n = this.sent++;
      if (this.inFlight.size >= MAX_IN_FLIGHT) {
        this.dropped++;
        continue;
      }
      const run = this.run(n).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
  }

  private async run(n: number): Promise<void> {
    const { baseUrl, prefix, subjectPool, keyEvery, maxAttempts, timeoutMs, onAccepted } = this.options;
    const subject = `${prefix}-${subjectPool ? n % subjectPool : n}`;
    const key = keyEvery > 0 && n % keyEvery === 0 ? `${prefix}-${n}` : undefined;
    const record: RequestRecord = { subject, rate: (n % 10) + 1, ...(key ? { idempotencyKey: key } : {}), attempts: [] };
    this.records.push(record);
    for (;;) {
      const { retryAfterS, ...attempt } = await postRating(baseUrl, subject, record.rate, key, timeoutMs);
      record.attempts.push(attempt);
      this.answered.push(attempt);
      if (attempt.status === 202) onAccepted?.(subject, attempt.answeredAt);
      // Only a client with a key may retry safely: without one, a 503 that was written after all would count twice.
      const retriable = key !== undefined && (attempt.status === 503 || attempt.status === 0);
      if (!retriable || record.attempts.length >= maxAttempts) return;
      await sleep(retryAfterS * 1000);
    }
  }
}

import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../cluster/test-cluster';

export interface Answer {
  status: number;
  replica: string | null;
  body: string;
}

/** One request on a connection of its own, so kube-proxy picks a backend for each. */
export function call(method: 'GET' | 'POST', url: string, host?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { method, agent: false, timeout: 10_000, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, replica: (res.headers['x-replica'] as string | undefined) ?? null, body }),
      );
      res.on('error', (error) => resolve({ status: 0, replica: null, body: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, replica: null, body: error.message }));
    req.end();
  });
}

interface Aggregate {
  count: number;
  sum: number;
}

/** Every accepted rating (subject → rate) must be in the aggregate exactly once. */
export async function expectAggregated(base: string, accepted: Map<string, number>): Promise<void> {
  const wrong = new Map<string, string>();
  await eventually(
    `${accepted.size} accepted ratings aggregated exactly once`,
    async () => {
      wrong.clear();
      for (const [subject, rate] of accepted) {
        const answer = await call('GET', `${base}/rate?subject=${subject}`);
        const aggregate = answer.status === 200 ? (JSON.parse(answer.body) as Aggregate) : null;
        if (!aggregate || aggregate.count !== 1 || aggregate.sum !== rate) wrong.set(subject, `${answer.status} ${answer.body}`);
      }
      return wrong.size === 0;
    },
    async () =>
      `${wrong.size} wrong, e.g. ${[...wrong.entries()]
        .slice(0, 3)
        .map(([s, a]) => `${s}: ${a}`)
        .join('; ')}`,
    120_000,
  );
}

export interface AuditedLoop {
  accepted: Map<string, number>;
  /** Every answer other than 202, with the subject it was for and when it was sent. */
  other: { subject: string; at: number; answer: string }[];
  sent: () => number;
  stop: () => Promise<void>;
}

/**
 * An open loop of sequential POSTs from `clients` clients, each request its own subject, until
 * stopped; every answer kept, so each 202 can be audited in the aggregate afterwards.
 */
export function auditedLoop(
  base: string,
  prefix: string,
  options: { clients?: number; host?: string; pauseMs?: number } = {},
): AuditedLoop {
  const accepted = new Map<string, number>();
  const other: AuditedLoop['other'] = [];
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: options.clients ?? 3 }, async () => {
    while (running) {
      const subject = `${prefix}-${sent}`;
      const rate = 1 + (sent++ % 5);
      const at = Date.now();
      const answer = await call('POST', `${base}/rate?rate=${rate}&subject=${subject}`, options.host);
      if (answer.status === 202) accepted.set(subject, rate);
      else other.push({ subject, at, answer: `${answer.status} ${answer.body.slice(0, 100)}` });
      await sleep(options.pauseMs ?? 30);
    }
  });
  return {
    accepted,
    other,
    sent: () => sent,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

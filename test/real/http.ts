import { request } from 'node:http';
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

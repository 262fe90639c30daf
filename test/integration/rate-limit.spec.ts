import { startExtraApp } from './extra-app';
import { uniqueSubject } from './test-stack';
import { setTimeout as sleep } from 'node:timers/promises';

const PORT = 18096;

/** @fastify/rate-limit on an API replica that trusts X-Forwarded-For from its proxy (127.0.0.1). */
describe('per-client rate limit', () => {
  it('answers 429 with Retry-After and the error body once a client exceeds RATE_LIMIT_MAX, other clients unaffected', async () => {
    const api = startExtraApp('rate-api', PORT, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_S: '600', TRUST_PROXY: '127.0.0.1' });
    const post = (client: string) =>
      fetch(`${api.base}/rate?rate=5&subject=${uniqueSubject('limit')}`, { method: 'POST', headers: { 'x-forwarded-for': client } });
    try {
      const ready = async () => (await fetch(`${api.base}/health/ready`).catch(() => null))?.status ?? 0;
      for (let i = 0; ; i++) {
        if ((await ready()) === 200) break;
        if (i > 300) throw new Error(`extra API not ready:\n${api.output()}`);
        await sleep(200);
      }
      const first = [];
      for (let i = 0; i < 3; i++) first.push((await post('203.0.113.7')).status);
      expect(first).toEqual([202, 202, 202]);

      const limited = await post('203.0.113.7');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('x-replica')).toBe(`rate-api-extra-${PORT}`);
      expect(await limited.json()).toMatchObject({
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.stringMatching(/rate limit/i),
      });

      expect((await post('203.0.113.8')).status).toBe(202);
      // Probes are never limited.
      for (let i = 0; i < 5; i++) expect(await ready()).toBe(200);
    } finally {
      await api.stop();
    }
  });
});

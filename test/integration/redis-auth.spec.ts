import Redis from 'ioredis';
import { readiness, startExtraApp } from './extra-app';
import { eventually, postRate, readAggregate, TEST_STACK_ENV, testRedisUrl, uniqueSubject } from './test-stack';

const WRONG_PASSWORD_PORT = 18097;

/** Redis requires a password locally as in the chart; the apps get it, nobody else does. */
describe('Redis password', () => {
  it('refuses a client without the password (NOAUTH)', async () => {
    // No ready check: ioredis' INFO would already be refused and close the connection.
    const anonymous = new Redis(Number(TEST_STACK_ENV.RATE_REDIS_PORT), '127.0.0.1', {
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    anonymous.on('error', () => undefined);
    try {
      await anonymous.connect();
      await expect(anonymous.set('rate:{p0}:offset', '999999999')).rejects.toThrow(/NOAUTH/);
      await expect(anonymous.get('rate:{p0}:offset')).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
  });

  it('lets the stack apps, which have it, aggregate and read', async () => {
    expect(testRedisUrl()).toMatch(/^redis:\/\/:[0-9a-f]{48}@/);
    const subject = uniqueSubject('auth');
    expect((await postRate(4, subject)).status).toBe(202);
    const aggregate = await eventually(
      'aggregated',
      () => readAggregate(subject),
      (a) => a.count === 1,
    );
    expect(aggregate).toMatchObject({ count: 1, sum: 4 });
  });

  it('keeps an API with a wrong REDIS_PASSWORD out of readiness, naming redis', async () => {
    const api = startExtraApp('rate-api', WRONG_PASSWORD_PORT, { REDIS_PASSWORD: 'not-the-password' });
    try {
      const ready = await readiness(api.base, (status, body) => status === 503 && JSON.stringify(body).includes('redis'));
      expect(ready.body).toMatchObject({
        error: { redis: { status: 'down', message: expect.stringMatching(/WRONGPASS|invalid .*password/i) } },
      });
      expect(api.output()).not.toContain('not-the-password');
    } finally {
      await api.stop();
    }
  });
});

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../harness/stack';
import { eventually, postRate, readAggregate, TEST_STACK_ENV, testRedisUrl, uniqueSubject } from './test-stack';
import { setTimeout as sleep } from 'node:timers/promises';

const EXTRA_PORT = 18099;

function startApi(extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'rate-api', 'src', 'main.js')], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(EXTRA_PORT),
      REPLICA_NAME: 'api-shutdown-test',
      KAFKA_BROKERS: `127.0.0.1:${TEST_STACK_ENV.RATE_KAFKA_PORT}`,
      REDIS_URL: testRedisUrl(),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('API shutdown on SIGTERM', () => {
  it('finishes in-flight requests, flushes the producer and exits 0', async () => {
    const api = startApi();
    const base = `http://127.0.0.1:${EXTRA_PORT}`;
    try {
      await eventually(
        'extra API ready',
        async () => (await fetch(`${base}/health/ready`).catch(() => null))?.status ?? 0,
        (s) => s === 200,
        60_000,
      );
      const subject = uniqueSubject('sigterm');
      const inFlight = Array.from({ length: 40 }, (_, i) => postRate((i % 10) + 1, subject, base));
      await sleep(30);
      api.child.kill('SIGTERM');
      const responses = await Promise.all(inFlight.map((p) => p.then((r) => r.status).catch(() => 'refused')));
      const code = await api.exited;
      expect({ code, output: api.output() }).toMatchObject({ code: 0, output: expect.stringContaining('"msg":"shutting down"') });

      const accepted = responses.filter((s) => s === 202).length;
      expect(accepted).toBeGreaterThan(0);
      expect(responses.every((s) => s === 202 || s === 503 || s === 'refused')).toBe(true);
      const aggregate = await eventually(
        'accepted ratings aggregated',
        () => readAggregate(subject),
        (a) => a.count >= accepted,
      );
      expect(aggregate.count).toBe(accepted);
    } finally {
      if (api.child.exitCode === null) api.child.kill('SIGKILL');
    }
  });

  it('keeps serving through SHUTDOWN_DRAIN_MS with readiness red, then exits 0', async () => {
    const api = startApi({ SHUTDOWN_DRAIN_MS: '4000' });
    const base = `http://127.0.0.1:${EXTRA_PORT}`;
    try {
      await eventually(
        'extra API ready',
        async () => (await fetch(`${base}/health/ready`).catch(() => null))?.status ?? 0,
        (s) => s === 200,
        60_000,
      );
      api.child.kill('SIGTERM');
      await eventually(
        'draining',
        async () => api.output(),
        (out) => out.includes('"msg":"shutting down"'),
        10_000,
      );
      // A balancer that has not dropped this replica yet is still served, while readiness tells it to.
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ error: { kafka: { status: 'down', message: 'shutting down' } } });
      const subject = uniqueSubject('drain');
      expect((await postRate(6, subject, base)).status).toBe(202);
      expect(api.child.exitCode).toBeNull();
      expect(await api.exited).toBe(0);
      expect(
        (
          await eventually(
            'drained rating aggregated',
            () => readAggregate(subject),
            (a) => a.count >= 1,
          )
        ).count,
      ).toBe(1);
    } finally {
      if (api.child.exitCode === null) api.child.kill('SIGKILL');
    }
  });
});

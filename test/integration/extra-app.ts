import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { appMain } from '../harness/stack';
import { eventually, TEST_STACK_ENV, testRedisUrl } from './test-stack';

export interface ExtraApp {
  child: ChildProcessWithoutNullStreams;
  base: string;
  exited: Promise<number | null>;
  output: () => string;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop: () => Promise<number | null>;
}

/**
 * One more API (or consumer) process beside the test stack, on its own port, with the stack's
 * Kafka and Redis unless `env` says otherwise.
 */
export function startExtraApp(app: 'rate-api' | 'rate-consumer', port: number, env: NodeJS.ProcessEnv = {}): ExtraApp {
  const child = spawn(process.execPath, [appMain(app)], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      [app === 'rate-api' ? 'PORT' : 'HEALTH_PORT']: String(port),
      REPLICA_NAME: `${app}-extra-${port}`,
      KAFKA_BROKERS: `127.0.0.1:${TEST_STACK_ENV.RATE_KAFKA_PORT}`,
      REDIS_URL: testRedisUrl(),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { child, base: `http://127.0.0.1:${port}`, exited, output: () => output, stop };
}

/** Resolves with the first readiness answer matching `done` (status and body). */
export function readiness(
  base: string,
  done: (status: number, body: unknown) => boolean,
  timeoutMs = 60_000,
): Promise<{ status: number; body: unknown }> {
  const probe = async () => {
    const response = await fetch(`${base}/health/ready`).catch(() => null);
    if (!response) return { status: 0, body: null };
    return { status: response.status, body: (await response.json()) as unknown };
  };
  return eventually(`${base}/health/ready`, probe, (r) => done(r.status, r.body), timeoutMs);
}

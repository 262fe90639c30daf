import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { RateAggregate } from '@rate/contracts';
import { redisUrl } from '../harness/stack';
import { ROOT, stackConfig, StackConfig } from '../harness/stack';
import { TEST_STACKS } from '../test-ports';
import { setTimeout as sleep } from 'node:timers/promises';

/** The integration tests' own stack: its own run dir and ports, so a user's stack can keep running. */
export const TEST_STACK_ENV = TEST_STACKS.integration;
export const TEST_REPLICAS = 3;
/** Short produce timeout so the Kafka-outage test sees its 503 quickly. */
export const TEST_APP_ENV = { PRODUCE_TIMEOUT_MS: '2000', LOG_LEVEL: 'info' };

export function testStack(): StackConfig {
  return stackConfig({ ...process.env, ...TEST_STACK_ENV });
}

export const BASE_URL = `http://127.0.0.1:${TEST_STACK_ENV.RATE_NGINX_PORT}`;

export function uniqueSubject(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The test stack's Redis URL, with the password the stack generated into its run dir. */
export function testRedisUrl(db = 0): string {
  return redisUrl(testStack(), db);
}

export function testRedis(): Redis {
  return new Redis(testRedisUrl());
}

export function testKafka(): Kafka {
  return new Kafka({ clientId: 'rate-tests', brokers: [`127.0.0.1:${TEST_STACK_ENV.RATE_KAFKA_PORT}`], logLevel: logLevel.NOTHING });
}

/** Sum of the topic's high watermarks: it moves iff something was produced. */
export async function topicEnd(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await sleep(200);
    last = await probe();
  }
  return last;
}

export type Aggregate = RateAggregate;

export async function readAggregate(subject: string, baseUrl = BASE_URL): Promise<Aggregate> {
  const response = await fetch(`${baseUrl}/rate?subject=${encodeURIComponent(subject)}`);
  if (response.status !== 200) throw new Error(`GET /rate answered ${response.status}`);
  return (await response.json()) as Aggregate;
}

export function postRate(rate: number | string, subject?: string, baseUrl = BASE_URL): Promise<Response> {
  const query = new URLSearchParams({ rate: String(rate), ...(subject ? { subject } : {}) });
  return fetch(`${baseUrl}/rate?${query.toString()}`, { method: 'POST' });
}

/** npm run stack:* as a user runs it (the compiled CLI), against the stack `env` names. */
export function stackCli(env: NodeJS.ProcessEnv, args: string[], timeoutMs: number): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'stack', 'cli.js'), ...args], {
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

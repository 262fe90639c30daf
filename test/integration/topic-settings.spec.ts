import { spawn } from 'node:child_process';
import { ConfigResourceTypes } from 'kafkajs';
import { appMain } from '../harness/stack';
import { eventually, TEST_STACK_ENV, testKafka, testRedisUrl, uniqueSubject } from './test-stack';

const EXTRA_PORT = 18098;

/** Starts an API replica beside the stack's, on a topic of the test's own, and collects its output. */
function startApi(env: Record<string, string>) {
  const child = spawn(process.execPath, [appMain('rate-api')], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(EXTRA_PORT),
      REPLICA_NAME: 'api-topic-test',
      KAFKA_BROKERS: `127.0.0.1:${TEST_STACK_ENV.RATE_KAFKA_PORT}`,
      REDIS_URL: testRedisUrl(),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** The exit code, or 'still running' (then killed) when it did not exit within the time. */
  const exitCode = (withinMs = 90_000): Promise<number | null | 'still running'> =>
    Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), withinMs).unref())]).then(
      (code) => {
        if (code === 'still running') child.kill('SIGKILL');
        return code;
      },
    );
  return { child, exited, exitCode, stdout: () => stdout, stderr: () => stderr };
}

async function withAdmin<T>(work: (admin: ReturnType<ReturnType<typeof testKafka>['admin']>) => Promise<T>): Promise<T> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

describe('topic replication settings', () => {
  it.each([
    ['a replication factor', { KAFKA_REPLICATION_FACTOR: '2' }, /has replication factor 1, below KAFKA_REPLICATION_FACTOR=2/],
    ['a min.insync.replicas', { KAFKA_MIN_INSYNC_REPLICAS: '2' }, /has min\.insync\.replicas=1, below KAFKA_MIN_INSYNC_REPLICAS=2/],
  ])(
    'the API refuses to start, with one clear line, against an existing topic with %s below the configured one',
    async (_what, env, reason) => {
      const topic = uniqueSubject('weak-topic');
      await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] }));
      const api = startApi({ KAFKA_TOPIC: topic, ...env });
      try {
        const code = await api.exitCode();
        const lines = api.stderr().trim().split('\n');
        expect({ code, lines }).toEqual({ code: 1, lines: [expect.stringMatching(reason)] });
        expect(lines[0]).toContain(`topic \\"${topic}\\"`);
        expect(api.stderr()).not.toMatch(/\n\s+at /);
      } finally {
        if (api.child.exitCode === null) api.child.kill('SIGKILL');
      }
    },
  );

  it('refuses to start when the topic cannot be created with the configured replication factor', async () => {
    const topic = uniqueSubject('unreplicable');
    const api = startApi({ KAFKA_TOPIC: topic, KAFKA_REPLICATION_FACTOR: '3' });
    try {
      expect(await api.exitCode()).toBe(1);
      expect(api.stderr().trim().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`cannot create \\\\"${topic}\\\\" with replication factor 3`)),
      ]);
    } finally {
      if (api.child.exitCode === null) api.child.kill('SIGKILL');
    }
  });

  it('creates a missing topic with the configured replication factor and min.insync.replicas, and starts', async () => {
    const topic = uniqueSubject('durable-topic');
    const api = startApi({ KAFKA_TOPIC: topic, KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '1' });
    try {
      await eventually(
        'API ready',
        async () => (await fetch(`http://127.0.0.1:${EXTRA_PORT}/health/ready`).catch(() => null))?.status ?? 0,
        (s) => s === 200,
        90_000,
      );
      const config = await withAdmin((admin) =>
        admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
        }),
      );
      // Set on the topic itself, not inherited: a later change of the broker default cannot weaken it.
      expect(config.resources[0].configEntries[0]).toMatchObject({ configName: 'min.insync.replicas', configValue: '1', isDefault: false });
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });
});

import { ConfigError, loadConfig } from './load-config';
import { ENV_SCHEMA, variablesOf } from './env.schema';

const REQUIRED = { KAFKA_BROKERS: '127.0.0.1:19092', REDIS_URL: 'redis://127.0.0.1:16379' };

function problems(env: NodeJS.ProcessEnv, app: 'rate-api' | 'rate-consumer' = 'rate-api'): string[] {
  try {
    loadConfig(app, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the DESIGN.md defaults', () => {
    const config = loadConfig('rate-api', { ...REQUIRED, REPLICA_NAME: 'r1' });
    expect(config).toMatchObject({
      port: 3000,
      healthPort: 3001,
      kafkaTopic: 'rates',
      kafkaPartitions: 6,
      rateMin: 1,
      rateMax: 10,
      replicaName: 'r1',
      logLevel: 'info',
      kafkaBrokers: ['127.0.0.1:19092'],
      kafkaGroupId: 'rate-aggregator',
      kafkaDlqTopic: 'rates.dlq',
      kafkaReplicationFactor: -1,
      kafkaMinInsyncReplicas: -1,
      produceStallS: 60,
      shutdownDrainMs: 0,
      consumerStallS: 60,
      idempotencyWindowS: 86400,
      dlqMaxValueBytes: 65536,
    });
  });

  it('takes a replication factor and min.insync.replicas, or -1 for the broker defaults', () => {
    const config = loadConfig('rate-consumer', { ...REQUIRED, KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    expect(config).toMatchObject({ kafkaReplicationFactor: 3, kafkaMinInsyncReplicas: 2 });
    expect(loadConfig('rate-api', { ...REQUIRED, KAFKA_REPLICATION_FACTOR: '-1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toMatchObject({
      kafkaReplicationFactor: -1,
      kafkaMinInsyncReplicas: 2,
    });
  });

  it('rejects a min.insync.replicas above the replication factor', () => {
    expect(problems({ ...REQUIRED, KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toEqual([
      'KAFKA_MIN_INSYNC_REPLICAS=2 is above KAFKA_REPLICATION_FACTOR=1 (no acks=all write could succeed)',
    ]);
  });

  it('splits a broker list', () => {
    expect(loadConfig('rate-api', { ...REQUIRED, KAFKA_BROKERS: 'a:9092, b.example:9093' }).kafkaBrokers).toEqual([
      'a:9092',
      'b.example:9093',
    ]);
  });

  it('names each missing required variable with its expected form', () => {
    expect(problems({})).toEqual([
      'KAFKA_BROKERS is missing (expected comma-separated host:port list, e.g. 127.0.0.1:19092)',
      'REDIS_URL is missing (expected redis://[user:password@]host:port[/db] (REDIS_MODE=cluster: a comma list of seed nodes))',
    ]);
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', 'abc'],
    ['KAFKA_BROKERS', 'localhost'],
    ['KAFKA_PARTITIONS', '0'],
    ['REDIS_URL', 'http://x:1'],
    ['REDIS_URL', 'redis://a:1,'],
    ['REDIS_MODE', 'sentinel'],
    ['RATE_MAX', '5.5'],
    ['LOG_LEVEL', 'verbose'],
    ['REPLICA_NAME', 'has space'],
    ['KAFKA_REPLICATION_FACTOR', '0'],
    ['KAFKA_REPLICATION_FACTOR', '-2'],
    ['KAFKA_MIN_INSYNC_REPLICAS', '1.5'],
    ['PRODUCE_STALL_S', '1'],
    ['SHUTDOWN_DRAIN_MS', '-5'],
    ['RATE_LIMIT_MAX', '-1'],
    ['RATE_LIMIT_WINDOW_S', '0'],
    ['TRUST_PROXY', 'proxy.local'],
    ['CONSUMER_STALL_S', '2'],
    ['IDEMPOTENCY_WINDOW_S', '-1'],
    ['DLQ_MAX_VALUE_BYTES', '10'],
  ])('rejects %s=%s', (name, value) => {
    const app = (variablesOf('rate-api') as string[]).includes(name) ? 'rate-api' : 'rate-consumer';
    const found = problems({ ...REQUIRED, [name]: value }, app);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`${name}=${JSON.stringify(value)} is invalid (expected `);
  });

  it('takes an optional REDIS_PASSWORD', () => {
    expect(loadConfig('rate-api', REQUIRED).redisPassword).toBe('');
    expect(loadConfig('rate-consumer', { ...REQUIRED, REDIS_PASSWORD: 's3cr:t@x' }).redisPassword).toBe('s3cr:t@x');
  });

  it('never prints a rejected secret', () => {
    const found = problems({ ...REQUIRED, REDIS_PASSWORD: 'hunter2\nx', REDIS_URL: 'http://user:hunter3@redis:6379' });
    expect(found).toEqual([
      'REDIS_URL="http://***@redis:6379" is invalid (expected redis://[user:password@]host:port[/db] (REDIS_MODE=cluster: a comma list of seed nodes))',
      expect.stringMatching(/^REDIS_PASSWORD="\*\*\*" is invalid/),
    ]);
    expect(found.join()).not.toMatch(/hunter/);
  });

  it('takes a Redis Cluster: REDIS_MODE=cluster with one or more seed nodes', () => {
    const seeds = 'redis://:pw@r-0.r:6379, redis://:pw@r-1.r:6379';
    expect(loadConfig('rate-api', { ...REQUIRED, REDIS_MODE: 'cluster', REDIS_URL: seeds })).toMatchObject({
      redisMode: 'cluster',
      redisUrl: seeds,
    });
    expect(loadConfig('rate-api', REQUIRED).redisMode).toBe('standalone');
  });

  it('refuses seed lists without cluster mode, databases other than 0 in it, and hides every password of a list', () => {
    expect(problems({ ...REQUIRED, REDIS_URL: 'redis://a:1,redis://b:1' })).toEqual([
      'REDIS_URL lists 2 nodes: a list of seed nodes needs REDIS_MODE=cluster',
    ]);
    expect(problems({ ...REQUIRED, REDIS_MODE: 'cluster', REDIS_URL: 'redis://a:1/0,redis://b:1/3' })).toEqual([
      'REDIS_URL selects database 3: a Redis Cluster has only database 0',
    ]);
    const found = problems({ ...REQUIRED, REDIS_MODE: 'cluster', REDIS_URL: 'redis://:hunter2@a:1,http://:hunter3@b:1' });
    expect(found).toEqual([expect.stringMatching(/^REDIS_URL="redis:\/\/\*\*\*@a:1,http:\/\/\*\*\*@b:1" is invalid/)]);
  });

  it('rejects RATE_MIN above RATE_MAX', () => {
    expect(problems({ ...REQUIRED, RATE_MIN: '8', RATE_MAX: '3' })).toEqual(['RATE_MIN=8 is above RATE_MAX=3']);
  });

  it('only validates the variables of the app being started', () => {
    expect(problems({ ...REQUIRED, PORT: 'nope' }, 'rate-consumer')).toEqual([]);
    expect(problems({ ...REQUIRED, HEALTH_PORT: 'nope' }, 'rate-api')).toEqual([]);
    expect(problems({ ...REQUIRED, HEALTH_PORT: 'nope' }, 'rate-consumer')).toHaveLength(1);
  });

  it('reports every problem in one message', () => {
    expect(() => loadConfig('rate-api', { PORT: 'x' })).toThrow(
      /^invalid configuration: PORT="x" is invalid .*; KAFKA_BROKERS is missing .*; REDIS_URL is missing/,
    );
  });

  it('every variable belongs to at least one app', () => {
    const used = new Set([...variablesOf('rate-api'), ...variablesOf('rate-consumer')]);
    expect([...used].sort()).toEqual(Object.keys(ENV_SCHEMA).sort());
  });
});

import { hostname } from 'node:os';

/**
 * The one environment schema of the project. Both processes, the local stack and the Helm
 * chart take variable names from here; nobody else reads process.env for configuration.
 */
export type AppName = 'rate-api' | 'rate-consumer';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface RateConfig {
  host: string;
  port: number;
  healthPort: number;
  kafkaBrokers: string[];
  kafkaTopic: string;
  kafkaDlqTopic: string;
  kafkaGroupId: string;
  kafkaPartitions: number;
  kafkaReplicationFactor: number;
  kafkaMinInsyncReplicas: number;
  redisUrl: string;
  rateMin: number;
  rateMax: number;
  replicaName: string;
  logLevel: LogLevel;
  produceTimeoutMs: number;
  produceMaxBatch: number;
  produceLingerMs: number;
  produceStallS: number;
  shutdownDrainMs: number;
  shutdownGraceMs: number;
  consumerStallS: number;
  idempotencyWindowS: number;
  dlqMaxValueBytes: number;
}

export interface VariableSpec<K extends keyof RateConfig = keyof RateConfig> {
  key: K;
  apps: readonly AppName[];
  /** Human-readable expected form, printed when the value is rejected. */
  expected: string;
  /** undefined = required */
  fallback?: () => string;
  parse: (raw: string) => RateConfig[K] | undefined;
}

const BOTH: readonly AppName[] = ['rate-api', 'rate-consumer'];
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$/;

function intIn(min: number, max: number) {
  return (raw: string): number | undefined => {
    if (!/^(0|[1-9]\d*)$/.test(raw)) return undefined;
    const value = Number(raw);
    return value >= min && value <= max ? value : undefined;
  };
}

function matching(pattern: RegExp) {
  return (raw: string): string | undefined => (pattern.test(raw) ? raw : undefined);
}

const port = intIn(1, 65535);

/** A replica count, or -1 for "the broker's default" (what Kafka's own tools accept too). */
function replicasOrBrokerDefault(raw: string): number | undefined {
  return raw === '-1' ? -1 : intIn(1, 32767)(raw);
}

export const ENV_SCHEMA = {
  HOST: {
    key: 'host',
    apps: BOTH,
    expected: 'address to listen on, e.g. 0.0.0.0 or 127.0.0.1',
    fallback: () => '0.0.0.0',
    parse: matching(/^[0-9A-Za-z.:-]{1,253}$/),
  },
  PORT: { key: 'port', apps: ['rate-api'], expected: 'TCP port 1..65535', fallback: () => '3000', parse: port },
  HEALTH_PORT: {
    key: 'healthPort',
    apps: ['rate-consumer'],
    expected: 'TCP port 1..65535',
    fallback: () => '3001',
    parse: port,
  },
  KAFKA_BROKERS: {
    key: 'kafkaBrokers',
    apps: BOTH,
    expected: 'comma-separated host:port list, e.g. 127.0.0.1:19092',
    parse: (raw: string) => {
      const brokers = raw.split(',').map((b) => b.trim());
      return brokers.every((b) => BROKER.test(b) && port(b.slice(b.lastIndexOf(':') + 1)) !== undefined)
        ? brokers
        : undefined;
    },
  },
  KAFKA_TOPIC: {
    key: 'kafkaTopic',
    apps: BOTH,
    expected: 'Kafka topic name ([A-Za-z0-9._-], 1..249 chars)',
    fallback: () => 'rates',
    parse: matching(TOPIC_NAME),
  },
  KAFKA_DLQ_TOPIC: {
    key: 'kafkaDlqTopic',
    apps: ['rate-consumer'],
    expected: 'Kafka topic name ([A-Za-z0-9._-], 1..249 chars)',
    fallback: () => 'rates.dlq',
    parse: matching(TOPIC_NAME),
  },
  KAFKA_GROUP_ID: {
    key: 'kafkaGroupId',
    apps: ['rate-consumer'],
    expected: 'consumer group id ([A-Za-z0-9._-], 1..249 chars)',
    fallback: () => 'rate-aggregator',
    parse: matching(TOPIC_NAME),
  },
  KAFKA_PARTITIONS: {
    key: 'kafkaPartitions',
    apps: BOTH,
    expected: 'integer 1..1000',
    fallback: () => '6',
    parse: intIn(1, 1000),
  },
  KAFKA_REPLICATION_FACTOR: {
    key: 'kafkaReplicationFactor',
    apps: BOTH,
    expected: 'integer 1..32767, or -1 for the broker\'s default.replication.factor',
    fallback: () => '-1',
    parse: replicasOrBrokerDefault,
  },
  KAFKA_MIN_INSYNC_REPLICAS: {
    key: 'kafkaMinInsyncReplicas',
    apps: BOTH,
    expected: 'integer 1..32767, or -1 for the broker\'s min.insync.replicas',
    fallback: () => '-1',
    parse: replicasOrBrokerDefault,
  },
  REDIS_URL: {
    key: 'redisUrl',
    apps: BOTH,
    expected: 'redis://[user:password@]host:port[/db]',
    parse: (raw: string) => {
      try {
        const url = new URL(raw);
        return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' ? raw : undefined;
      } catch {
        return undefined;
      }
    },
  },
  RATE_MIN: { key: 'rateMin', apps: BOTH, expected: 'integer 0..1000', fallback: () => '1', parse: intIn(0, 1000) },
  RATE_MAX: { key: 'rateMax', apps: BOTH, expected: 'integer 1..1000', fallback: () => '10', parse: intIn(1, 1000) },
  REPLICA_NAME: {
    key: 'replicaName',
    apps: BOTH,
    expected: '1..63 chars of [A-Za-z0-9._-]',
    fallback: () => hostname(),
    parse: matching(/^[A-Za-z0-9._-]{1,63}$/),
  },
  LOG_LEVEL: {
    key: 'logLevel',
    apps: BOTH,
    expected: 'one of error, warn, info, debug',
    fallback: () => 'info',
    parse: (raw: string) => (['error', 'warn', 'info', 'debug'].includes(raw) ? (raw as LogLevel) : undefined),
  },
  PRODUCE_TIMEOUT_MS: {
    key: 'produceTimeoutMs',
    apps: ['rate-api'],
    expected: 'integer 100..60000 (ms a POST waits for the Kafka ack before 503)',
    fallback: () => '3000',
    parse: intIn(100, 60000),
  },
  PRODUCE_MAX_BATCH: {
    key: 'produceMaxBatch',
    apps: ['rate-api'],
    expected: 'integer 1..10000 (events per Kafka produce request)',
    fallback: () => '1000',
    parse: intIn(1, 10000),
  },
  PRODUCE_LINGER_MS: {
    key: 'produceLingerMs',
    apps: ['rate-api'],
    expected: 'integer 0..1000 (ms an idle producer waits to gather a batch)',
    fallback: () => '0',
    parse: intIn(0, 1000),
  },
  PRODUCE_STALL_S: {
    key: 'produceStallS',
    apps: ['rate-api'],
    expected: 'integer 5..3600 (s the producer may fail every send while Kafka answers, before liveness fails)',
    fallback: () => '60',
    parse: intIn(5, 3600),
  },
  SHUTDOWN_DRAIN_MS: {
    key: 'shutdownDrainMs',
    apps: ['rate-api'],
    expected: 'integer 0..120000 (ms a replica keeps serving on SIGTERM, readiness red, before it closes)',
    fallback: () => '0',
    parse: intIn(0, 120000),
  },
  SHUTDOWN_GRACE_MS: {
    key: 'shutdownGraceMs',
    apps: BOTH,
    expected: 'integer 0..120000 (ms to finish in-flight work on SIGTERM)',
    fallback: () => '10000',
    parse: intIn(0, 120000),
  },
  CONSUMER_STALL_S: {
    key: 'consumerStallS',
    apps: ['rate-consumer'],
    expected: 'integer 5..3600 (s without progress while lag > 0 before /health/live fails)',
    fallback: () => '60',
    parse: intIn(5, 3600),
  },
  IDEMPOTENCY_WINDOW_S: {
    key: 'idempotencyWindowS',
    apps: ['rate-consumer'],
    expected: 'integer 0..2592000 (s during which an event id is applied at most once; 0 = off)',
    fallback: () => '86400',
    parse: intIn(0, 2592000),
  },
  DLQ_MAX_VALUE_BYTES: {
    key: 'dlqMaxValueBytes',
    apps: ['rate-consumer'],
    expected: 'integer 1024..1000000 (bytes of a poison value copied to the dead-letter topic)',
    fallback: () => '65536',
    parse: intIn(1024, 1000000),
  },
} satisfies Record<string, VariableSpec<keyof RateConfig>>;

export type EnvVariable = keyof typeof ENV_SCHEMA;
export const ENV_VARIABLES = Object.keys(ENV_SCHEMA) as EnvVariable[];

export function variablesOf(app: AppName): EnvVariable[] {
  return ENV_VARIABLES.filter((name) => (ENV_SCHEMA[name].apps as readonly AppName[]).includes(app));
}

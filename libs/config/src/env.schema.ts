import { accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';

/**
 * The one environment schema of the project. Both processes, the local stack and the Helm
 * chart take variable names from here; nobody else reads process.env for configuration.
 */
export type AppName = 'rate-api' | 'rate-consumer';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
export type RedisMode = 'standalone' | 'cluster';

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
  /** TLS to the brokers; the CA/cert/key files are optional ('' = system CAs, no client certificate). */
  kafkaSsl: boolean;
  kafkaSslCaFile: string;
  kafkaSslCertFile: string;
  kafkaSslKeyFile: string;
  /** null = no SASL. */
  kafkaSaslMechanism: KafkaSaslMechanism | null;
  kafkaSaslUsername: string;
  kafkaSaslPassword: string;
  /** One URL; with redisMode cluster, a comma list of seed nodes (the client learns the rest). */
  redisUrl: string;
  redisMode: RedisMode;
  /** '' = none (or the one in redisUrl). */
  redisPassword: string;
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
  rateLimitMax: number;
  rateLimitWindowS: number;
  /** x-replica on every API response (load tests); the chart turns it off for the public route. */
  replicaHeader: boolean;
  /** Peers whose X-Forwarded-For is believed (fastify trustProxy); '' = none. */
  trustProxy: string;
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
  /** How a rejected value is shown; secrets are never printed. */
  redact?: (raw: string) => string;
}

const BOTH: readonly AppName[] = ['rate-api', 'rate-consumer'];
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** REDIS_URL's entries: one for a standalone Redis, one or more seeds of a Redis Cluster. */
export function redisUrls(raw: string): string[] {
  return raw.split(',').map((url) => url.trim());
}

function isRedisUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

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

/** '' (not set) or the path of a file this process can read. */
function readableFileOrEmpty(raw: string): string | undefined {
  if (raw === '') return raw;
  try {
    accessSync(raw, constants.R_OK);
    return raw;
  } catch {
    return undefined;
  }
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
      return brokers.every((b) => BROKER.test(b) && port(b.slice(b.lastIndexOf(':') + 1)) !== undefined) ? brokers : undefined;
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
    expected: "integer 1..32767, or -1 for the broker's default.replication.factor",
    fallback: () => '-1',
    parse: replicasOrBrokerDefault,
  },
  KAFKA_MIN_INSYNC_REPLICAS: {
    key: 'kafkaMinInsyncReplicas',
    apps: BOTH,
    expected: "integer 1..32767, or -1 for the broker's min.insync.replicas",
    fallback: () => '-1',
    parse: replicasOrBrokerDefault,
  },
  KAFKA_SSL: {
    key: 'kafkaSsl',
    apps: BOTH,
    expected: 'true or false (TLS to the brokers)',
    fallback: () => 'false',
    parse: (raw: string) => (raw === 'true' ? true : raw === 'false' ? false : undefined),
  },
  KAFKA_SSL_CA_FILE: {
    key: 'kafkaSslCaFile',
    apps: BOTH,
    expected: 'path of a readable PEM file with the CA certificates of the brokers, or empty for the system CAs',
    fallback: () => '',
    parse: readableFileOrEmpty,
  },
  KAFKA_SSL_CERT_FILE: {
    key: 'kafkaSslCertFile',
    apps: BOTH,
    expected: 'path of a readable PEM client certificate (mutual TLS), or empty',
    fallback: () => '',
    parse: readableFileOrEmpty,
  },
  KAFKA_SSL_KEY_FILE: {
    key: 'kafkaSslKeyFile',
    apps: BOTH,
    expected: 'path of a readable PEM client key (mutual TLS), or empty',
    fallback: () => '',
    parse: readableFileOrEmpty,
  },
  KAFKA_SASL_MECHANISM: {
    key: 'kafkaSaslMechanism',
    apps: BOTH,
    expected: 'plain, scram-sha-256, scram-sha-512, or empty for no SASL',
    fallback: () => '',
    parse: (raw: string) =>
      raw === '' ? null : ['plain', 'scram-sha-256', 'scram-sha-512'].includes(raw) ? (raw as KafkaSaslMechanism) : undefined,
  },
  KAFKA_SASL_USERNAME: {
    key: 'kafkaSaslUsername',
    apps: BOTH,
    expected: 'SASL user name (up to 255 characters)',
    fallback: () => '',
    parse: (raw: string) => (raw.length <= 255 ? raw : undefined),
  },
  KAFKA_SASL_PASSWORD: {
    key: 'kafkaSaslPassword',
    apps: BOTH,
    expected: 'SASL password (up to 1024 characters)',
    fallback: () => '',
    redact: () => '***',
    parse: (raw: string) => (raw.length <= 1024 ? raw : undefined),
  },
  REDIS_URL: {
    key: 'redisUrl',
    apps: BOTH,
    expected: 'redis://[user:password@]host:port[/db] (REDIS_MODE=cluster: a comma list of seed nodes)',
    parse: (raw: string) => (redisUrls(raw).every(isRedisUrl) ? raw : undefined),
    redact: (raw: string) => raw.replace(/\/\/[^@,]*@/g, '//***@'),
  },
  REDIS_MODE: {
    key: 'redisMode',
    apps: BOTH,
    expected: 'standalone or cluster (Redis Cluster: keys of a partition share one hash slot)',
    fallback: () => 'standalone',
    parse: (raw: string) => (raw === 'standalone' || raw === 'cluster' ? raw : undefined),
  },
  REDIS_PASSWORD: {
    key: 'redisPassword',
    apps: BOTH,
    expected: 'the Redis password, 1..512 chars without line breaks (overrides one in REDIS_URL)',
    fallback: () => '',
    parse: (raw: string) => (raw.length <= 512 && !/[\r\n\0]/.test(raw) ? raw : undefined),
    redact: () => '***',
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
  RATE_LIMIT_MAX: {
    key: 'rateLimitMax',
    apps: ['rate-api'],
    expected: 'integer 0..1000000 (requests to /rate per client and window; 0 = no limit)',
    fallback: () => '0',
    parse: intIn(0, 1_000_000),
  },
  RATE_LIMIT_WINDOW_S: {
    key: 'rateLimitWindowS',
    apps: ['rate-api'],
    expected: 'integer 1..86400 (seconds of the rate-limit window)',
    fallback: () => '60',
    parse: intIn(1, 86400),
  },
  REPLICA_HEADER: {
    key: 'replicaHeader',
    apps: ['rate-api'],
    expected:
      "true or false (x-replica on every response, naming the replica that answered: for load tests; the chart turns it off, so the public route does not tell clients the pods' names)",
    fallback: () => 'true',
    parse: (raw: string) => (raw === 'true' ? true : raw === 'false' ? false : undefined),
  },
  TRUST_PROXY: {
    key: 'trustProxy',
    apps: ['rate-api'],
    expected:
      'comma-separated IP addresses or CIDRs of the proxies whose X-Forwarded-For names the client, e.g. 127.0.0.1 or 10.0.0.0/8 (empty = none)',
    fallback: () => '',
    parse: (raw: string) => (raw === '' || raw.split(',').every((p) => /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(p.trim())) ? raw : undefined),
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

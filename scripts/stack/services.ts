import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { apiNodeFlags, kafkaRetention, redisMaxmemory } from './chart-values';
import { ensureRedisPassword, redisDir, redisUrl, writeRedisConf } from './redis-conf';
import { redisBusPort, redisNodeDir, redisNodeName, redisNodePort } from './redis-cluster';
import { ROOT, StackConfig } from './stack-config';
import { httpStatus, redisAnswers } from './readiness';

export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** One process of the stack: how to prepare, launch and probe it. */
export interface ServiceSpec {
  name: string;
  port: number;
  healthUrl?: string;
  /** Answering anything but 200 here means: restart me (what a Kubernetes liveness probe does). */
  liveUrl?: string;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  prepare?: () => void | Promise<void>;
  launch: () => Launch;
  ready: () => Promise<boolean>;
}

const execFileAsync = promisify(execFile);
const TOOL = (config: StackConfig, bin: string) => join(config.toolsDir, 'bin', bin);
const BASE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };

/** How many of each process the stack runs (stack:up --replicas/--brokers/--consumers). */
export interface StackShape {
  replicas: number;
  brokers: number;
  consumers: number;
  /** 0 or absent: one standalone Redis; 3..6: a Redis Cluster of that many primaries. */
  redisNodes?: number;
}

/** The first of each keeps its single-instance name, so a default stack looks as it always did. */
export function brokerName(node: number): string {
  return node === 1 ? 'kafka' : `kafka-${node}`;
}

export function consumerName(index: number): string {
  return index === 1 ? 'consumer' : `consumer-${index}`;
}

/** Broker n listens on kafkaPort + 2(n-1), its controller on the port after (19092/19093, 19094/19095, …). */
export function brokerPort(config: StackConfig, node: number): number {
  return config.kafkaPort + 2 * (node - 1);
}

export function brokerList(config: StackConfig, brokers: number): string {
  return Array.from({ length: brokers }, (_, i) => `127.0.0.1:${brokerPort(config, i + 1)}`).join(',');
}

/**
 * Replication wherever there are brokers to replicate to: RF 3 (or all of them) and a min ISR one
 * below, so an acknowledged write survives the loss of any one broker and one broker may be down.
 */
export function topicDurability(brokers: number): { replicationFactor: number; minInsyncReplicas: number } {
  const replicationFactor = Math.min(3, brokers);
  return { replicationFactor, minInsyncReplicas: Math.max(1, replicationFactor - 1) };
}

/** The apps' env for the topic settings; a single broker keeps the broker's defaults. */
export function durabilityEnv(brokers: number): NodeJS.ProcessEnv {
  if (brokers === 1) return {};
  const { replicationFactor, minInsyncReplicas } = topicDurability(brokers);
  return { KAFKA_REPLICATION_FACTOR: String(replicationFactor), KAFKA_MIN_INSYNC_REPLICAS: String(minInsyncReplicas) };
}

/** One KRaft cluster id for every node of the stack, kept until stack:down --purge. */
function clusterId(config: StackConfig): string {
  const file = join(config.runDir, 'kafka-cluster.id');
  if (!existsSync(file)) {
    mkdirSync(config.runDir, { recursive: true });
    writeFileSync(file, randomUUID());
  }
  return readFileSync(file, 'utf8').trim();
}

export function kafkaService(config: StackConfig, node = 1, brokers = 1): ServiceSpec {
  const name = brokerName(node);
  const port = brokerPort(config, node);
  const dir = join(config.runDir, name);
  const home = join(config.toolsDir, `kafka-${config.kafkaVersion}`);
  const properties = join(dir, 'server.properties');
  const java = (mainClass: string, args: string[], heap: string): Launch => ({
    command: 'java',
    args: [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      '-XX:+UseG1GC',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(home, 'config', 'log4j2.properties')}`,
      '-cp',
      `${join(home, 'libs')}/*`,
      mainClass,
      ...args,
    ],
    env: BASE_ENV,
  });
  return {
    name,
    port,
    readyTimeoutMs: 180_000,
    stopTimeoutMs: 30_000,
    prepare: async () => {
      if (!existsSync(join(home, 'libs'))) throw new Error(`Kafka ${config.kafkaVersion} is not installed: run npm run tools:install`);
      mkdirSync(join(dir, 'data'), { recursive: true });
      writeFileSync(properties, kafkaProperties(config, join(dir, 'data'), node, brokers));
      if (!existsSync(join(dir, 'data', 'meta.properties'))) {
        // KRaft storage is formatted once; later starts reuse the log (stack:down keeps data).
        const format = java('kafka.tools.StorageTool', ['format', '-t', clusterId(config), '-c', properties, '--ignore-formatted'], '256m');
        // Not execFileSync: a JVM start takes seconds, and the other services' readiness probes share this event loop.
        await execFileAsync(format.command, format.args, { env: format.env });
      }
    },
    launch: () => java('kafka.Kafka', [properties], '512m'),
    ready: () => kafkaAnswers(port, node),
  };
}

/**
 * KRaft: each node is broker and controller in one process, advertised on loopback; with more
 * than one node the controllers form one quorum and the internal topics are replicated like ours.
 */
export function kafkaProperties(config: StackConfig, dataDir: string, node = 1, brokers = 1): string {
  const port = brokerPort(config, node);
  const voters = Array.from({ length: brokers }, (_, i) => `${i + 1}@127.0.0.1:${brokerPort(config, i + 1) + 1}`).join(',');
  const { replicationFactor, minInsyncReplicas } = topicDurability(brokers);
  const retention = kafkaRetention(config.valuesFile);
  return [
    'process.roles=broker,controller',
    `node.id=${node}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=6',
    `default.replication.factor=${replicationFactor}`,
    `min.insync.replicas=${minInsyncReplicas}`,
    `offsets.topic.replication.factor=${replicationFactor}`,
    'offsets.topic.num.partitions=6',
    `transaction.state.log.replication.factor=${replicationFactor}`,
    `transaction.state.log.min.isr=${minInsyncReplicas}`,
    `share.coordinator.state.topic.replication.factor=${replicationFactor}`,
    `share.coordinator.state.topic.min.isr=${minInsyncReplicas}`,
    'group.initial.rebalance.delay.ms=0',
    // A loaded machine may take longer than the default minute to form the quorum at first start.
    'initial.broker.registration.timeout.ms=180000',
    'auto.create.topics.enable=false',
    // The chart's retention: a log that grows with the load never fills the disk.
    `log.retention.hours=${retention.hours}`,
    `log.retention.bytes=${retention.retentionBytes}`,
    `log.segment.bytes=${retention.segmentBytes}`,
    '',
  ].join('\n');
}

function stackAdmin(port: number) {
  return new Kafka({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'rate-stack',
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
}

/** Brokers the cluster lists as registered (asked of the broker at `port`), or null when it does not answer. */
export async function clusterBrokers(port: number): Promise<number[] | null> {
  const admin = stackAdmin(port);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.map((b) => b.nodeId);
  } catch {
    return null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Whether group coordinators answer: asking about any group creates __consumer_offsets (all its
 * partitions at once) if missing and needs its partitions led.
 */
export async function groupCoordinatorAnswers(port: number): Promise<boolean> {
  const admin = stackAdmin(port);
  try {
    await admin.connect();
    // Fills kafkajs' broker pool first: without it, finding the coordinator fails on its first try.
    await admin.describeCluster();
    await admin.describeGroups(['rate-stack-probe']);
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A broker is ready once it answers and has registered itself with the cluster. */
async function kafkaAnswers(port: number, node: number): Promise<boolean> {
  return (await clusterBrokers(port))?.includes(node) ?? false;
}

/** The standalone Redis (node 1 of none), or node n of a Redis Cluster. */
export function redisService(config: StackConfig, node = 1, clustered = false): ServiceSpec {
  const dir = clustered ? redisNodeDir(config, node) : redisDir(config);
  const port = clustered ? redisNodePort(config, node) : config.redisPort;
  const clusterNode = clustered ? { dir, port, busPort: redisBusPort(config, node) } : undefined;
  return {
    name: clustered ? redisNodeName(node) : 'redis',
    port,
    readyTimeoutMs: 15_000,
    stopTimeoutMs: 15_000,
    prepare: () => void writeRedisConf(config, redisMaxmemory(config.valuesFile), clusterNode),
    launch: () => ({ command: TOOL(config, 'redis-server'), args: [join(dir, 'redis.conf')], env: BASE_ENV }),
    ready: () => redisAnswers(port, ensureRedisPassword(config)),
  };
}

function appEnv(config: StackConfig, brokers: number, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...BASE_ENV,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    KAFKA_BROKERS: brokerList(config, brokers),
    ...durabilityEnv(brokers),
    REDIS_URL: redisUrl(config),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...extra,
  };
}

/** The compiled entry point of one of the apps. */
export function appMain(app: 'rate-api' | 'rate-consumer'): string {
  return join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
}

function nodeAppService(
  config: StackConfig,
  name: string,
  app: 'rate-api' | 'rate-consumer',
  port: number,
  brokers: number,
  env: NodeJS.ProcessEnv,
  nodeFlags: string[],
): ServiceSpec {
  const healthUrl = `http://127.0.0.1:${port}/health/ready`;
  return {
    name,
    port,
    healthUrl,
    liveUrl: `http://127.0.0.1:${port}/health/live`,
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 20_000,
    launch: () => ({ command: process.execPath, args: [...nodeFlags, appMain(app)], env: appEnv(config, brokers, env) }),
    ready: async () => (await httpStatus(healthUrl)) === 200,
  };
}

/** Consumer i (1-based) of the group, health on consumerPort + i - 1. */
export function consumerService(
  config: StackConfig,
  extraEnv: NodeJS.ProcessEnv,
  index = 1,
  brokers = 1,
  nodeFlags: string[] = [],
): ServiceSpec {
  const port = config.consumerPort + index - 1;
  const env = { ...extraEnv, HEALTH_PORT: String(port), REPLICA_NAME: `consumer-${index}` };
  return nodeAppService(config, consumerName(index), 'rate-consumer', port, brokers, env, nodeFlags);
}

export function apiService(
  config: StackConfig,
  index: number,
  extraEnv: NodeJS.ProcessEnv,
  brokers = 1,
  nodeFlags: string[] = [],
): ServiceSpec {
  const port = config.apiBasePort + index - 1;
  // nginx (on loopback) replaces X-Forwarded-For with the client's address: trust it for the rate limit's key.
  const env = { TRUST_PROXY: '127.0.0.1', ...extraEnv, PORT: String(port), REPLICA_NAME: `api-${index}` };
  return nodeAppService(config, `api-${index}`, 'rate-api', port, brokers, env, [...apiNodeFlags(config.valuesFile), ...nodeFlags]);
}

export function nginxService(config: StackConfig): ServiceSpec {
  const dir = join(config.runDir, 'nginx');
  const healthUrl = `http://127.0.0.1:${config.nginxPort}/health/ready`;
  return {
    name: 'nginx',
    port: config.nginxPort,
    healthUrl,
    readyTimeoutMs: 15_000,
    stopTimeoutMs: 10_000,
    launch: () => ({
      command: TOOL(config, 'nginx'),
      args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      env: BASE_ENV,
    }),
    ready: async () => (await httpStatus(healthUrl)) === 200,
  };
}

import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { redisMaxmemory } from './chart-values';
import { ensureRedisPassword, redisDir, redisUrl, writeRedisConf } from './redis-conf';
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
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  prepare?: () => void | Promise<void>;
  launch: () => Launch;
  ready: () => Promise<boolean>;
}

const TOOL = (config: StackConfig, bin: string) => join(config.toolsDir, 'bin', bin);
const BASE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };

export function kafkaService(config: StackConfig): ServiceSpec {
  const dir = join(config.runDir, 'kafka');
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
    name: 'kafka',
    port: config.kafkaPort,
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 30_000,
    prepare: async () => {
      if (!existsSync(join(home, 'libs'))) throw new Error(`Kafka ${config.kafkaVersion} is not installed: run npm run tools:install`);
      mkdirSync(join(dir, 'data'), { recursive: true });
      writeFileSync(properties, kafkaProperties(config, join(dir, 'data')));
      if (!existsSync(join(dir, 'data', 'meta.properties'))) {
        // KRaft storage is formatted once; later starts reuse the log (stack:down keeps data).
        const format = java('kafka.tools.StorageTool', ['format', '-t', randomUUID(), '-c', properties, '--ignore-formatted'], '256m');
        // Asynchronously: the JVM takes seconds (tens under load), and Redis' readiness is being awaited meanwhile.
        await promisify(execFile)(format.command, format.args, { env: format.env });
      }
    },
    launch: () => java('kafka.Kafka', [properties], '512m'),
    ready: () => kafkaAnswers(config.kafkaPort),
  };
}

/** KRaft single node: broker and controller in one process, advertised on loopback. */
export function kafkaProperties(config: StackConfig, dataDir: string): string {
  const controllerPort = config.kafkaPort + 1;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${config.kafkaPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${config.kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=6',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=6',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

async function kafkaAnswers(port: number): Promise<boolean> {
  const admin = new Kafka({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'rate-stack',
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function redisService(config: StackConfig): ServiceSpec {
  const conf = join(redisDir(config), 'redis.conf');
  return {
    name: 'redis',
    port: config.redisPort,
    readyTimeoutMs: 15_000,
    stopTimeoutMs: 15_000,
    prepare: () => void writeRedisConf(config, redisMaxmemory(config.valuesFile)),
    launch: () => ({ command: TOOL(config, 'redis-server'), args: [conf], env: BASE_ENV }),
    ready: () => redisAnswers(config.redisPort, ensureRedisPassword(config)),
  };
}

function appEnv(config: StackConfig, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...BASE_ENV,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    KAFKA_BROKERS: `127.0.0.1:${config.kafkaPort}`,
    REDIS_URL: redisUrl(config),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...extra,
  };
}

/** The compiled entry point of one of the apps. */
export function appMain(app: 'rate-api' | 'rate-consumer'): string {
  return join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
}

function nodeAppService(config: StackConfig, name: string, app: 'rate-api' | 'rate-consumer', port: number, env: NodeJS.ProcessEnv): ServiceSpec {
  const healthUrl = `http://127.0.0.1:${port}/health/ready`;
  return {
    name,
    port,
    healthUrl,
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 20_000,
    launch: () => ({ command: process.execPath, args: [appMain(app)], env: appEnv(config, env) }),
    ready: async () => (await httpStatus(healthUrl)) === 200,
  };
}

export function consumerService(config: StackConfig, extraEnv: NodeJS.ProcessEnv): ServiceSpec {
  const env = { ...extraEnv, HEALTH_PORT: String(config.consumerPort), REPLICA_NAME: 'consumer-1' };
  return nodeAppService(config, 'consumer', 'rate-consumer', config.consumerPort, env);
}

export function apiService(config: StackConfig, index: number, extraEnv: NodeJS.ProcessEnv): ServiceSpec {
  const port = config.apiBasePort + index - 1;
  // nginx (on loopback) replaces X-Forwarded-For with the client's address: trust it for the rate limit's key.
  const env = { TRUST_PROXY: '127.0.0.1', ...extraEnv, PORT: String(port), REPLICA_NAME: `api-${index}` };
  return nodeAppService(config, `api-${index}`, 'rate-api', port, env);
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

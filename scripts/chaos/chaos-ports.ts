import { join } from 'node:path';
import { redisBusPort, redisNodePort } from '../stack/redis-cluster';
import { brokerPort } from '../stack/services';
import { ROOT, stackConfig, StackConfig } from '../stack/stack-config';

/**
 * Linux' default net.ipv4.ip_local_port_range starts here. A listening port at or above it may be
 * held, when its service (re)starts, by an outgoing connection — even by a readiness probe that
 * connects to that very port while nothing listens and is handed it as its own source port (a TCP
 * self-connect): the broker then dies with "Address already in use". Chaos restarts brokers all
 * the time, so its stacks listen below it.
 */
export const DEFAULT_EPHEMERAL_LOW = 32768;

/** npm run chaos: its own run dir and ports, so a user's stack (8080…) keeps running beside it. */
export const CHAOS_STACK_ENV = {
  RATE_RUN_DIR: join(ROOT, '.run', 'chaos'),
  RATE_NGINX_PORT: '24080',
  RATE_API_BASE_PORT: '24081',
  RATE_KAFKA_PORT: '24092',
  RATE_REDIS_PORT: '24379',
  RATE_CONSUMER_PORT: '24101',
};

/** The chaos jest project: its own too, so the integration stacks (18080…, 28080…) may run beside it. */
export const CHAOS_TEST_STACK_ENV = {
  RATE_RUN_DIR: join(ROOT, '.run', 'test-chaos'),
  RATE_NGINX_PORT: '25080',
  RATE_API_BASE_PORT: '25081',
  RATE_KAFKA_PORT: '25092',
  RATE_REDIS_PORT: '25379',
  RATE_CONSUMER_PORT: '25101',
};

/** Every port a stack of this shape listens on (brokers' controllers and every replica included). */
export function listeningPorts(
  config: StackConfig,
  shape: { replicas: number; brokers: number; consumers: number; redisNodes?: number },
): number[] {
  const ports = [config.nginxPort, config.redisPort];
  for (let n = 1; n <= (shape.redisNodes ?? 0); n++) ports.push(redisNodePort(config, n), redisBusPort(config, n));
  for (let i = 0; i < shape.replicas; i++) ports.push(config.apiBasePort + i);
  for (let n = 1; n <= shape.brokers; n++) ports.push(brokerPort(config, n), brokerPort(config, n) + 1);
  for (let i = 0; i < shape.consumers; i++) ports.push(config.consumerPort + i);
  return ports;
}

export function chaosConfig(env: Record<string, string>): StackConfig {
  return stackConfig({ ...process.env, ...env });
}

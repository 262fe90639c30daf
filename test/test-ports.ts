import { join } from 'node:path';
import { ROOT } from './harness/stack';

/**
 * Every port a test suite listens on, in one place: Jest starts every project's global setup
 * before the first test, so the integration stack and the control plane run beside the
 * experiment's and the chaos suite's stacks. Each stack listens from its nginx port up: API
 * replicas, Kafka brokers with their controllers, consumers, the experiment's front doors at +81… and
 * its baseline at +90.
 * All below Linux' ephemeral range (32768–60999), where an outgoing connection could hold one.
 * test-ports.spec.ts checks that none is shared.
 */
const stack = (dir: string, nginx: number, kafka: number, redis: number, consumer: number) => ({
  RATE_RUN_DIR: join(ROOT, '.run', dir),
  RATE_NGINX_PORT: String(nginx),
  RATE_API_BASE_PORT: String(nginx + 1),
  RATE_KAFKA_PORT: String(kafka),
  RATE_REDIS_PORT: String(redis),
  RATE_CONSUMER_PORT: String(consumer),
});

export const TEST_STACKS = {
  integration: stack('test', 18080, 29092, 26379, 19101),
  lifecycle: stack('test-lifecycle', 28080, 27092, 27379, 29101),
  quickExperiment: stack('test-experiment', 21080, 21092, 21379, 21101),
  interruptedExperiment: stack('test-interrupted', 20080, 20092, 20379, 20101),
  redisCluster: stack('test-redis-cluster', 22080, 22092, 22579, 22101),
};

/** The integration suite's second broker with SASL (kafka-auth.spec.ts), beside the test stack's. */
export const KAFKA_AUTH_TEST_PORT = 29192;

export const TEST_CLUSTERS = {
  controlPlane: {
    RATE_CLUSTER_API_PORT: '26443',
    RATE_CLUSTER_ETCD_PORT: '22379',
    RATE_CLUSTER_ETCD_PEER_PORT: '22380',
    RATE_CLUSTER_CONTROLLER_MANAGER_PORT: '26444',
    RATE_CLUSTER_SCHEDULER_PORT: '26445',
    RATE_CLUSTER_KWOK_PORT: '26446',
  },
  realNode: {
    RATE_CLUSTER_API_PORT: '25443',
    RATE_CLUSTER_ETCD_PORT: '25382',
    RATE_CLUSTER_ETCD_PEER_PORT: '25383',
    RATE_CLUSTER_CONTROLLER_MANAGER_PORT: '25444',
    RATE_CLUSTER_SCHEDULER_PORT: '25445',
    RATE_CLUSTER_KWOK_PORT: '25446',
    RATE_CLUSTER_KUBELET_PORT: '25447',
    RATE_CLUSTER_KUBELET_HEALTHZ_PORT: '25448',
    RATE_CLUSTER_KUBE_PROXY_HEALTHZ_PORT: '25449',
    RATE_CLUSTER_KUBE_PROXY_METRICS_PORT: '25450',
    RATE_CLUSTER_COREDNS_HEALTH_PORT: '25451',
    RATE_CLUSTER_INGRESS_PORT: '25452',
    RATE_CLUSTER_INGRESS_PING_PORT: '25453',
    RATE_CLUSTER_NETWORK_POLICY_HEALTH_PORT: '25454',
  },
};

/**
 * The chart's Redis Cluster Job script runs against three redis-servers on port 6379 (bus 16379) of
 * loopback addresses of their own, as the nodes' Services would be (test/chart/redis-cluster.spec.ts).
 */
export const REDIS_CLUSTER_JOB_HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

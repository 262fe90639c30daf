import { join, resolve } from 'node:path';
import { readVersions, ROOT } from '../stack/stack-config';

/**
 * Where the offline control plane lives and listens. Every port is overridable so a test cluster
 * runs beside a user's, and none of the defaults touches the local stack (8080-8089, 19092-19097,
 * 16379, 9101-9109) or the test stacks (18080/21080/28080, 21092/29092/27092, 21379/26379/27379,
 * 19101/29101).
 */
export interface ClusterConfig {
  runDir: string;
  toolsDir: string;
  kubernetesVersion: string;
  kwokVersion: string;
  gatewayApiVersion: string;
  prometheusOperatorVersion: string;
  apiserverPort: number;
  etcdPort: number;
  etcdPeerPort: number;
  controllerManagerPort: number;
  schedulerPort: number;
  kwokPort: number;
  /** A real node's (cluster:up --real) kubelet API, on the node address (real-node.ts NODE_IP). */
  kubeletPort: number;
  kubeletHealthzPort: number;
  kubeProxyHealthzPort: number;
  kubeProxyMetricsPort: number;
  corednsHealthPort: number;
  /** The real node's ingress controller: its HTTP entry point (Ingress and Gateway) and its ping. */
  ingressPort: number;
  ingressPingPort: number;
  /** The real node's NetworkPolicy controller: its /healthz. */
  networkPolicyHealthPort: number;
  /** Fake (kwok) nodes, each in its own zone so topology spreading has something to spread over. */
  nodes: number;
}

export const DEFAULT_PORTS = {
  apiserverPort: 16443,
  etcdPort: 12379,
  etcdPeerPort: 12380,
  controllerManagerPort: 16444,
  schedulerPort: 16445,
  kwokPort: 16446,
  kubeletPort: 16447,
  kubeletHealthzPort: 16448,
  kubeProxyHealthzPort: 16449,
  kubeProxyMetricsPort: 16450,
  corednsHealthPort: 16451,
  ingressPort: 16452,
  ingressPingPort: 16453,
  networkPolicyHealthPort: 16454,
} as const;

const PORT_ENV: Record<keyof typeof DEFAULT_PORTS, string> = {
  apiserverPort: 'RATE_CLUSTER_API_PORT',
  etcdPort: 'RATE_CLUSTER_ETCD_PORT',
  etcdPeerPort: 'RATE_CLUSTER_ETCD_PEER_PORT',
  controllerManagerPort: 'RATE_CLUSTER_CONTROLLER_MANAGER_PORT',
  schedulerPort: 'RATE_CLUSTER_SCHEDULER_PORT',
  kwokPort: 'RATE_CLUSTER_KWOK_PORT',
  kubeletPort: 'RATE_CLUSTER_KUBELET_PORT',
  kubeletHealthzPort: 'RATE_CLUSTER_KUBELET_HEALTHZ_PORT',
  kubeProxyHealthzPort: 'RATE_CLUSTER_KUBE_PROXY_HEALTHZ_PORT',
  kubeProxyMetricsPort: 'RATE_CLUSTER_KUBE_PROXY_METRICS_PORT',
  corednsHealthPort: 'RATE_CLUSTER_COREDNS_HEALTH_PORT',
  ingressPort: 'RATE_CLUSTER_INGRESS_PORT',
  ingressPingPort: 'RATE_CLUSTER_INGRESS_PING_PORT',
  networkPolicyHealthPort: 'RATE_CLUSTER_NETWORK_POLICY_HEALTH_PORT',
};

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) throw new Error(`${name}=${raw} must be an integer in 1..${max}`);
  return value;
}

export function clusterConfig(env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const versions = readVersions();
  const ports = Object.fromEntries(
    (Object.keys(DEFAULT_PORTS) as (keyof typeof DEFAULT_PORTS)[]).map((key) => [
      key,
      positiveInteger(env, PORT_ENV[key], DEFAULT_PORTS[key], 65535),
    ]),
  ) as Record<keyof typeof DEFAULT_PORTS, number>;
  const seen = new Map<number, string>();
  for (const [key, port] of Object.entries(ports)) {
    const other = seen.get(port);
    if (other) throw new Error(`${PORT_ENV[key as keyof typeof DEFAULT_PORTS]} and ${other} both use port ${port}`);
    seen.set(port, PORT_ENV[key as keyof typeof DEFAULT_PORTS]);
  }
  return {
    runDir: resolve(env.RATE_CLUSTER_DIR || join(ROOT, '.run', 'cluster')),
    toolsDir: join(ROOT, '.tools'),
    kubernetesVersion: versions.KUBERNETES_VERSION,
    kwokVersion: versions.KWOK_VERSION,
    gatewayApiVersion: versions.GATEWAY_API_VERSION,
    prometheusOperatorVersion: versions.PROMETHEUS_OPERATOR_VERSION,
    ...ports,
    nodes: positiveInteger(env, 'RATE_CLUSTER_NODES', 3, 20),
  };
}

/** Paths inside the run directory, one definition for every module that needs them. */
export const clusterPaths = (config: ClusterConfig) => ({
  pki: join(config.runDir, 'pki'),
  etcdData: join(config.runDir, 'etcd'),
  volumes: join(config.runDir, 'volumes'),
  kubeconfig: join(config.runDir, 'kubeconfig'),
  pids: join(config.runDir, 'pids'),
  logs: join(config.runDir, 'logs'),
  state: join(config.runDir, 'cluster.json'),
  bin: (name: string) => join(config.toolsDir, 'bin', name),
});

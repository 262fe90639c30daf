import { join } from 'node:path';
import { ClusterConfig, clusterConfig } from '../../scripts/cluster/cluster-config';
import { ROOT } from '../../scripts/stack/stack-config';

/**
 * The real-node test cluster: its own run directory and ports, no fake nodes (the chart's pods
 * must land on the real kubelet). Only one real node runs per machine (real-node.ts).
 */
export function realTestCluster(): ClusterConfig {
  return {
    ...clusterConfig({
      ...process.env,
      RATE_CLUSTER_DIR: join(ROOT, '.run', 'cluster-real'),
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
    }),
    nodes: 0,
  };
}

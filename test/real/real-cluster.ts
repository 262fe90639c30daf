import { join } from 'node:path';
import { ClusterConfig, clusterConfig } from '../harness/cluster';
import { ROOT } from '../harness/stack';
import { TEST_CLUSTERS } from '../test-ports';

/**
 * The real-node test cluster: its own run directory and ports, no fake nodes (the chart's pods
 * must land on the real kubelet). Only one real node runs per machine (real-node.ts).
 */
export function realTestCluster(): ClusterConfig {
  return {
    ...clusterConfig({
      ...process.env,
      RATE_CLUSTER_DIR: join(ROOT, '.run', 'cluster-real'),
      ...TEST_CLUSTERS.realNode,
    }),
    nodes: 0,
  };
}

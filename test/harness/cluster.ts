// What the tests use of scripts/cluster: the one seam between the test suites and the tooling's internals.
export { clusterConfig, clusterPaths } from '../../scripts/cluster/cluster-config';
export type { ClusterConfig } from '../../scripts/cluster/cluster-config';
export { down, kubectl, up } from '../../scripts/cluster/control-plane';
export { REAL_NODE_NAME } from '../../scripts/cluster/pki';
export {
  BRIDGE,
  REAL_NODE,
  nodeMounts,
  nodePaths,
  prepareRealNode,
  realNodeUnsupported,
  strayShims,
} from '../../scripts/cluster/real-node';

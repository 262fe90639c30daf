import { clusterConfig, DEFAULT_PORTS } from './cluster-config';

describe('clusterConfig', () => {
  it('defaults to ports that none of the local or test stacks use', () => {
    const stackPorts = [8080, ...Array.from({ length: 9 }, (_, i) => 8081 + i), 19092, 19093, 19094, 19095, 19096, 19097, 16379];
    const testStackPorts = [18080, 21080, 28080, 21092, 29092, 27092, 21379, 26379, 27379, 19101, 21101, 29101];
    const consumerPorts = Array.from({ length: 9 }, (_, i) => 9101 + i);
    const taken = new Set([...stackPorts, ...testStackPorts, ...consumerPorts]);
    for (const port of Object.values(DEFAULT_PORTS)) expect(taken.has(port)).toBe(false);
    expect(clusterConfig({}).apiserverPort).toBe(16443);
  });

  it('takes every port and the node count from the environment', () => {
    const config = clusterConfig({
      RATE_CLUSTER_API_PORT: '26443',
      RATE_CLUSTER_ETCD_PORT: '22379',
      RATE_CLUSTER_NODES: '2',
      RATE_CLUSTER_DIR: '/tmp/x',
    });
    expect(config).toMatchObject({ apiserverPort: 26443, etcdPort: 22379, nodes: 2, runDir: '/tmp/x' });
  });

  it('refuses a malformed port and two components on one port, naming the variables', () => {
    expect(() => clusterConfig({ RATE_CLUSTER_API_PORT: '16443x' })).toThrow('RATE_CLUSTER_API_PORT=16443x');
    expect(() => clusterConfig({ RATE_CLUSTER_KWOK_PORT: '16443' })).toThrow(
      /RATE_CLUSTER_KWOK_PORT and RATE_CLUSTER_API_PORT both use port 16443/,
    );
    expect(() => clusterConfig({ RATE_CLUSTER_NODES: '0' })).toThrow('RATE_CLUSTER_NODES=0');
  });
});

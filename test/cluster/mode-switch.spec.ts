import { up } from '../harness/cluster';
import { eventually, kubectlResult, ok, testCluster } from './test-cluster';

/**
 * Found by a user: cluster:up after cluster:up -- --real kept the other kind's Node in etcd; it
 * looked Ready, took pods, and a StatefulSet pod evicted from it stayed Terminating for good. A
 * cluster:up (here: again, on the running control plane) deletes such a node, and its pods go.
 */
describe('cluster:up after a cluster of the other kind', () => {
  const config = testCluster();
  const kubectl = (args: string[], input?: string) => ok(kubectlResult(config, args, input));

  it('deletes the real node a --real cluster left in etcd, and the pods bound to it go with it', async () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'rate-node', labels: { 'kubernetes.io/hostname': 'rate-node' } } };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'left-on-the-real-node', namespace: 'default' },
      spec: { nodeName: 'rate-node', containers: [{ name: 'c', image: 'none' }] },
    };
    await kubectl(['create', '-f', '-'], JSON.stringify(node));
    await kubectl(['create', '-f', '-'], JSON.stringify(pod));
    const logged: string[] = [];
    await up(config, { log: (line) => logged.push(line) });
    expect(logged).toContain('deleted node(s) rate-node left by a cluster:up with --real (their pods go with them)');
    expect((await kubectlResult(config, ['get', 'node', 'rate-node'])).code).not.toBe(0);
    await eventually(
      'the pod bound to the deleted node garbage-collected',
      async () => (await kubectlResult(config, ['get', 'pod', 'left-on-the-real-node', '-n', 'default'])).code !== 0,
      async () => (await kubectlResult(config, ['get', 'pod', 'left-on-the-real-node', '-n', 'default', '-o', 'wide'])).stdout,
      120_000,
    );
    expect(
      JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])).items.map((n: { metadata: { name: string } }) => n.metadata.name),
    ).toEqual(['kwok-node-1', 'kwok-node-2', 'kwok-node-3']);
  });
});

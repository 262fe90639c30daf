import { join } from 'node:path';
import { ClusterConfig } from '../harness/cluster';
import { ROOT } from '../harness/stack';
import { CHART, helm } from '../cluster/test-cluster';

/** The value files of every release on the real node: the local images, the node's routes and policies. */
export const REAL_NODE_VALUES = ['local-images-values.yaml', 'real-node-values.yaml'].flatMap((file) => ['-f', join(ROOT, 'k8s', file)]);

/** `helm upgrade --reuse-values` of the real node's release `rate` with a few values changed; waits for it. */
export async function upgradeRelease(config: ClusterConfig, sets: string[]): Promise<void> {
  const upgrade = await helm(config, [
    'upgrade',
    'rate',
    CHART,
    '-n',
    'rate',
    '--reuse-values',
    ...REAL_NODE_VALUES,
    ...sets.flatMap((set) => ['--set', set]),
    '--wait',
    '--timeout',
    '10m',
  ]);
  if (upgrade.code !== 0) throw new Error(`helm upgrade --set ${sets.join(',')} failed: ${upgrade.stderr}`);
}

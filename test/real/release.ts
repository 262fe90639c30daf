import { join } from 'node:path';
import { ClusterConfig } from '../harness/cluster';
import { ROOT } from '../harness/stack';
import { CHART, helm } from '../cluster/test-cluster';

/** `helm upgrade --reuse-values` of the real node's release `rate` with a few values changed; waits for it. */
export async function upgradeRelease(config: ClusterConfig, sets: string[]): Promise<void> {
  const values = ['local-images-values.yaml', 'real-node-values.yaml'].flatMap((file) => ['-f', join(ROOT, 'k8s', file)]);
  const upgrade = await helm(config, [
    'upgrade',
    'rate',
    CHART,
    '-n',
    'rate',
    '--reuse-values',
    ...values,
    ...sets.flatMap((set) => ['--set', set]),
    '--wait',
    '--timeout',
    '10m',
  ]);
  if (upgrade.code !== 0) throw new Error(`helm upgrade --set ${sets.join(',')} failed: ${upgrade.stderr}`);
}

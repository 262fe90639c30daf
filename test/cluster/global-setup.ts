import { down, up } from '../harness/cluster';
import { testCluster } from './test-cluster';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => process.stdout.write(`[cluster] ${line}\n`);
  process.stdout.write('\n[cluster] starting the test control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)\n');
  try {
    await up(testCluster(), { log });
  } catch (error) {
    // Jest runs no teardown after a failed setup: stop what was started before failing.
    await down(testCluster(), false, log);
    throw error;
  }
  log(`control plane ready in ${Math.round((Date.now() - started) / 1000)} s`);
}

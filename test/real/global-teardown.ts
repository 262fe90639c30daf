import { down } from '../harness/cluster';
import { realNodeUnsupported } from '../harness/cluster';
import { realTestCluster } from './real-cluster';

// Removes every pod, mount, rule and process the setup made (by pid) and the test cluster's data.
export default async function globalTeardown(): Promise<void> {
  if (realNodeUnsupported()) return;
  await down(realTestCluster(), true, (line) => process.stdout.write(`[real] ${line}\n`));
}

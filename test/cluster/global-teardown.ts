import { down } from '../harness/cluster';
import { testCluster } from './test-cluster';

// Stops every process the setup started (by pid) and deletes the test cluster's data.
export default async function globalTeardown(): Promise<void> {
  await down(testCluster(), true, (line) => process.stdout.write(`[cluster] ${line}\n`));
}

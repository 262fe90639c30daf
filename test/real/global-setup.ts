import { down, up } from '../harness/cluster';
import { prepareRealNode, REAL_NODE, realNodeUnsupported } from '../harness/cluster';
import { realTestCluster } from './real-cluster';

export default async function globalSetup(): Promise<void> {
  const unsupported = realNodeUnsupported();
  if (unsupported) {
    process.stdout.write(`\n[real] no real node on this machine: ${unsupported}\n`);
    return;
  }
  const started = Date.now();
  const log = (line: string) => process.stdout.write(`[real] ${line}\n`);
  process.stdout.write(
    '\n[real] building the images and starting a control plane with a real node (containerd, kubelet, kube-proxy, CoreDNS)\n',
  );
  try {
    prepareRealNode();
    await up(realTestCluster(), { log, extraComponents: REAL_NODE });
  } catch (error) {
    // Jest runs no teardown after a failed setup: stop what was started before failing.
    await down(realTestCluster(), true, log);
    throw error;
  }
  log(`real node ready in ${Math.round((Date.now() - started) / 1000)} s`);
}

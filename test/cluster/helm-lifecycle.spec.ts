import { kubectl } from '../harness/cluster';
import { CHART, eventually, helm, HELM_TIMEOUT, leftovers, ok, restrictedNamespace, testCluster } from './test-cluster';

// The user's path (helm install → upgrade → test → rollback → uninstall) against a real API
// server, controller-manager and scheduler, in a namespace enforcing the restricted profile.
const config = testCluster();
// helm --wait is bounded by HELM_TIMEOUT (3 min); Jest must not give up before helm does.
jest.setTimeout(300_000);
const NS = 'rate-lifecycle';
const API = 'app.kubernetes.io/instance=rate,app.kubernetes.io/component=api';

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { phase: string; conditions?: { type: string; status: string }[] };
}

async function apiPods(): Promise<Pod[]> {
  const pods = (JSON.parse(await kubectl(config, ['get', 'pods', '-n', NS, '-l', API, '-o', 'json'])) as { items: Pod[] }).items;
  return pods.filter((p) => p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed');
}

const isReady = (pod: Pod) => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function revision(): Promise<{ revision: number; status: string }> {
  const release = JSON.parse(await ok(helm(config, ['status', 'rate', '-n', NS, '-o', 'json']))) as {
    version: number;
    info: { status: string };
  };
  return { revision: release.version, status: release.info.status };
}

describe('helm lifecycle on a real control plane (restricted namespace)', () => {
  beforeAll(async () => {
    await restrictedNamespace(config, NS);
  });

  it('installs with one API replica and waits until everything is Ready, persistent claims bound', async () => {
    await ok(helm(config, ['install', 'rate', CHART, '-n', NS, '--set', 'replicas=1', '--wait', '--timeout', HELM_TIMEOUT]));
    const pods = await apiPods();
    expect(pods).toHaveLength(1);
    expect(pods.every(isReady)).toBe(true);
    // The chart's defaults keep Kafka and Redis on claims of the default StorageClass.
    const claims = JSON.parse(await kubectl(config, ['get', 'pvc', '-n', NS, '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { phase: string } }[];
    };
    expect(claims.items.length).toBeGreaterThan(0);
    expect(claims.items.map((c) => `${c.metadata.name}:${c.status.phase}`)).toEqual(claims.items.map((c) => `${c.metadata.name}:Bound`));
  });

  it('upgrades to three API replicas, all Ready, with a PodDisruptionBudget', async () => {
    await ok(
      helm(config, ['upgrade', 'rate', CHART, '-n', NS, '--reuse-values', '--set', 'replicas=3', '--wait', '--timeout', HELM_TIMEOUT]),
    );
    await eventually(
      '3 Ready API pods',
      async () => {
        const pods = await apiPods();
        return pods.length === 3 && pods.every(isReady);
      },
      async () => JSON.stringify((await apiPods()).map((p) => [p.metadata.name, p.status.phase, isReady(p)])),
    );
    const pods = await apiPods();
    expect(pods.every((p) => p.spec.nodeName)).toBe(true);
    const pdbs = JSON.parse(await kubectl(config, ['get', 'pdb', '-n', NS, '-l', 'app.kubernetes.io/instance=rate', '-o', 'json'])) as {
      items: { spec: { selector: { matchLabels: Record<string, string> } } }[];
    };
    expect(pdbs.items).toHaveLength(1);
    expect(pdbs.items[0].spec.selector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'api' });
    expect(await revision()).toEqual({ revision: 2, status: 'deployed' });
  });

  it('runs the helm test hook to success', async () => {
    const out = await ok(helm(config, ['test', 'rate', '-n', NS, '--timeout', HELM_TIMEOUT]));
    expect(out).toMatch(/Phase:\s+Succeeded/);
  });

  it('rolls back to the one-replica revision', async () => {
    await ok(helm(config, ['rollback', 'rate', '1', '-n', NS, '--wait', '--timeout', HELM_TIMEOUT]));
    expect(await revision()).toEqual({ revision: 3, status: 'deployed' });
    await eventually(
      '1 API pod',
      async () => (await apiPods()).length === 1,
      async () => JSON.stringify((await apiPods()).map((p) => p.metadata.name)),
    );
    const pdbs = await kubectl(config, ['get', 'pdb', '-n', NS, '-l', 'app.kubernetes.io/instance=rate', '-o', 'name']);
    expect(pdbs.trim()).toBe('');
  });

  it('uninstalls and leaves no object of the release behind', async () => {
    await ok(helm(config, ['uninstall', 'rate', '-n', NS, '--wait', '--timeout', HELM_TIMEOUT]));
    // The claims go with their StatefulSets (persistentVolumeClaimRetentionPolicy). Helm never deletes
    // a hook on uninstall, and the chart keeps its test pod for `helm test --logs` (hook-succeeded
    // would delete it before the logs are read), and the generated Redis password (resource-policy
    // keep, so a reinstall finds it with a kept volume): those two, and nothing else, are left.
    let left: string[] = [];
    await eventually(
      'only the helm test pod and the kept Redis password left',
      async () => (left = (await leftovers(config, NS)).sort()).join() === 'Pod/rate-test,Secret/rate-redis',
      async () => left.join(', '),
    );
    await kubectl(config, ['delete', 'pod/rate-test', 'secret/rate-redis', '-n', NS, '--wait=true', '--timeout=60s']);
    await eventually(
      'an empty namespace',
      async () => (left = await leftovers(config, NS)).length === 0,
      async () => left.join(', '),
    );
    expect(left).toEqual([]);
    // The released volumes go too (reclaim policy Delete of the default StorageClass).
    const volumesOf = async () =>
      (await kubectl(config, ['get', 'pv', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.claimRef.namespace}{"\\n"}{end}']))
        .split('\n')
        .filter((line) => line.endsWith(` ${NS}`));
    let volumes: string[] = [];
    await eventually(
      'no volume of the release',
      async () => (volumes = await volumesOf()).length === 0,
      async () => volumes.join(', '),
    );
  });
});

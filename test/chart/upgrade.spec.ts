import { spawn } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { startFakeApiServer } from './fake-apiserver';
import { CHART, find, K8sObject, render, TOOL } from './render';

/** helm template against the fake API server, so lookup sees what the objects given say is installed. */
async function templateOver(
  installed: any[],
  ...sets: string[]
): Promise<{ status: number | null; stdout: string; stderr: string; objects: K8sObject[] }> {
  const api = await startFakeApiServer(installed);
  try {
    const args = [
      'template',
      'rate',
      CHART,
      '--namespace',
      'rate',
      '--dry-run=server',
      '--kubeconfig',
      api.kubeconfig,
      ...sets.flatMap((s) => ['--set', s]),
    ];
    // Asynchronous: the fake API server answers from this same process.
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(TOOL('helm'), args);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    const objects =
      result.status === 0
        ? parseAllDocuments(result.stdout)
            .map((d) => d.toJS() as K8sObject)
            .filter(Boolean)
        : [];
    expect(api.requests.filter((r) => r.includes('/namespaces/rate/'))).not.toEqual([]);
    return { ...result, objects };
  } finally {
    await api.close();
  }
}

/** A StatefulSet as the chart rendered it, with overrides, as the cluster would return it. */
function installedStatefulSet(name: 'rate-kafka' | 'rate-redis', spec: Record<string, unknown> = {}) {
  const set = find(render(), 'StatefulSet', name);
  return { ...set, metadata: { ...set.metadata, namespace: 'rate' }, spec: { ...set.spec, ...spec } };
}

describe('upgrades (helm lookup against what is installed)', () => {
  it('keeps the generated Redis password of the installed release', async () => {
    const password = Buffer.from('KeptFromTheFirstInstall0123456789').toString('base64');
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'rate-redis', namespace: 'rate' },
      data: { 'redis-password': password },
    };
    const first = await templateOver([secret]);
    expect(first.stderr).toBe('');
    expect(find(first.objects, 'Secret', 'rate-redis').data!['redis-password']).toBe(password);
    const again = await templateOver([secret]);
    const annotation = (objects: K8sObject[]) =>
      find(objects, 'Deployment', 'rate-api').spec.template.metadata.annotations['checksum/redis-auth'];
    expect(annotation(again.objects)).toBe(annotation(first.objects));
    // Without an installed Secret a new password is made (and differs each time).
    expect(find(render(), 'Secret', 'rate-redis').data!['redis-password']).not.toBe(password);
  });

  it('upgrades over StatefulSets it rendered itself', async () => {
    const result = await templateOver([installedStatefulSet('rate-kafka'), installedStatefulSet('rate-redis')]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('explains, instead of failing half-way, a persistence change Kubernetes cannot apply in place', async () => {
    const result = await templateOver(
      [installedStatefulSet('rate-kafka'), installedStatefulSet('rate-redis')],
      'kafka.persistence.enabled=false',
      'redis.persistence.size=5Gi',
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('StatefulSet rate-kafka cannot change in place (kafka.persistence.enabled true -> false)');
    expect(result.stderr).toContain('StatefulSet rate-redis cannot change in place (redis.persistence.size 1Gi -> 5Gi)');
    expect(result.stderr).toContain('kubectl -n rate delete statefulset rate-kafka --cascade=orphan');
  });

  it('explains the move of chart 0.1 StatefulSets to their headless Services', async () => {
    const result = await templateOver([installedStatefulSet('rate-kafka', { serviceName: 'rate-kafka' })]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('StatefulSet rate-kafka cannot change in place (serviceName rate-kafka -> rate-kafka-headless');
  });

  it('refuses to change the broker count of an installed Kafka, saying how to move to a new quorum', async () => {
    const result = await templateOver([installedStatefulSet('rate-kafka'), installedStatefulSet('rate-redis')], 'kafka.replicas=3');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('kafka.replicas 1 -> 3: a KRaft quorum');
    expect(result.stderr).toContain(
      'kubectl -n rate delete statefulset rate-kafka && kubectl -n rate delete pvc -l app.kubernetes.io/component=kafka',
    );
    expect((await templateOver([installedStatefulSet('rate-kafka', { replicas: 3 })], 'kafka.replicas=3')).status).toBe(0);
  });

  it('refuses to turn an installed standalone Redis into a Redis Cluster in place, saying what a fresh one costs', async () => {
    const result = await templateOver([installedStatefulSet('rate-kafka'), installedStatefulSet('rate-redis')], 'redis.mode=cluster');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('the installed Redis runs 1 pod(s), these values ask for 3');
    expect(result.stderr).toContain('the consumer refills it from Kafka, as far as Kafka');
  });

  it('keeps the running API replicas on the upgrade that turns the HPA on (the field gone would mean 1)', async () => {
    const deployment = find(render(undefined, 'replicas=3'), 'Deployment', 'rate-api');
    const installed = { ...deployment, metadata: { ...deployment.metadata, namespace: 'rate' } };
    const replicas = async (...sets: string[]) => {
      const result = await templateOver([installed], 'hpa.enabled=true', ...sets);
      expect(result.stderr).toBe('');
      return find(result.objects, 'Deployment', 'rate-api').spec.replicas;
    };
    expect(await replicas()).toBe(3);
    expect(await replicas('hpa.minReplicas=4')).toBe(4);
    // A first install (nothing to look up) leaves the count to the HPA.
    expect(find(render(undefined, 'hpa.enabled=true'), 'Deployment', 'rate-api').spec.replicas).toBeUndefined();
  });

  it('rolls the pods when the password in an existing Secret is rotated', async () => {
    const secret = (password: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mine', namespace: 'rate' },
      data: { 'redis-password': Buffer.from(password).toString('base64') },
    });
    const checksum = async (password: string) => {
      const result = await templateOver([secret(password)], 'redis.auth.existingSecret=mine');
      return find(result.objects, 'Deployment', 'rate-consumer').spec.template.metadata.annotations['checksum/redis-auth'];
    };
    expect(await checksum('first')).toBe(await checksum('first'));
    expect(await checksum('first')).not.toBe(await checksum('second'));
  });
});

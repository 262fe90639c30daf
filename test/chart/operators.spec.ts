import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART, find, K8sObject, render, templateWith } from './render';

/** Knobs an operator adapts the chart with: registries, pull secrets, security contexts, the Redis password. */
const SCALE_OUT = 'ci/scale-out-values.yaml';

/** Every pod template of the release, the helm test pod included. */
function pods(objects: K8sObject[]): { name: string; spec: any }[] {
  return objects.flatMap((o) => {
    if (['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
      return [{ name: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec }];
    if (o.kind === 'Pod') return [{ name: `Pod/${o.metadata.name}`, spec: o.spec }];
    return [];
  });
}

describe('a chart operators can adapt', () => {
  it('puts global.imageRegistry before every image and gives every pod the pull secrets', () => {
    const objects = render(SCALE_OUT, 'global.imageRegistry=mirror.example:5000/hub/', 'imagePullSecrets[0].name=pull');
    const all = pods(objects);
    // The API, consumer, Kafka (with its broker-sync sidecar), Redis, the Redis Cluster Job and the test pod.
    expect(all.map((p) => p.name.split('/')[0]).sort()).toEqual(
      expect.arrayContaining(['Deployment', 'Deployment', 'Job', 'Pod', 'StatefulSet', 'StatefulSet']),
    );
    for (const pod of all) {
      expect({ pod: pod.name, secrets: pod.spec.imagePullSecrets }).toEqual({ pod: pod.name, secrets: [{ name: 'pull' }] });
      for (const container of pod.spec.containers)
        expect({ pod: pod.name, image: container.image }).toEqual({
          pod: pod.name,
          image: expect.stringMatching(/^mirror\.example:5000\/hub\/[^/]/),
        });
    }
    // Without the value, the images are the values' own.
    const plain = render(SCALE_OUT);
    expect(find(plain, 'StatefulSet', 'rate-kafka').spec.template.spec.containers[0].image).toBe('apache/kafka:4.1.1');
    expect(pods(plain).every((p) => p.spec.imagePullSecrets === undefined)).toBe(true);
    expect(() => render(undefined, 'global.imageRegistry=https://mirror')).toThrow(/imageRegistry/);
  });

  it('takes each component’s security contexts from values, where null drops a key (OpenShift assigns UIDs itself)', () => {
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const openShift = ['kafka', 'redis', 'api', 'consumer', 'tests'].flatMap((c) =>
      ['runAsUser', 'runAsGroup', 'fsGroup'].map((key) => `${c}.podSecurityContext.${key}=null`),
    );
    const objects = render(SCALE_OUT, ...openShift, 'consumer.securityContext.runAsNonRoot=true');
    for (const pod of pods(objects)) {
      expect({ pod: pod.name, ...pod.spec.securityContext }).toEqual({
        pod: pod.name,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
    expect(find(objects, 'Deployment', 'rate-consumer').spec.template.spec.containers[0].securityContext).toEqual({
      ...values.consumer.securityContext,
      runAsNonRoot: true,
    });
    // The defaults: each image's own user.
    const defaults = render(SCALE_OUT);
    expect(find(defaults, 'StatefulSet', 'rate-kafka').spec.template.spec.securityContext.runAsUser).toBe(1000);
    expect(find(defaults, 'StatefulSet', 'rate-redis').spec.template.spec.securityContext.runAsUser).toBe(999);
    expect(find(defaults, 'Deployment', 'rate-api').spec.template.spec.securityContext.runAsUser).toBe(65532);
  });

  it('renders the same Redis password on every helm template run when redis.auth.password is set, and keeps its Secret on uninstall', () => {
    const secret = (...sets: string[]) => find(render(undefined, ...sets), 'Secret', 'rate-redis');
    const fixed = secret('redis.auth.password=correct-horse');
    expect(fixed.data).toEqual({ 'redis-password': Buffer.from('correct-horse').toString('base64') });
    expect(fixed.metadata.annotations).toMatchObject({ 'helm.sh/resource-policy': 'keep' });
    // Generated, it differs between offline renders: the reason the value exists.
    expect(secret().data!['redis-password']).not.toBe(secret().data!['redis-password']);
    const checksum = (...sets: string[]) =>
      find(render(undefined, ...sets), 'Deployment', 'rate-api').spec.template.metadata.annotations['checksum/redis-auth'];
    expect(checksum('redis.auth.password=correct-horse')).toBe(checksum('redis.auth.password=correct-horse'));
    expect(checksum('redis.auth.password=correct-horse')).not.toBe(checksum('redis.auth.password=battery-staple'));
  });

  it('keeps the pods’ own port private: no NodePort or LoadBalancer Service, no replica names on the public route', () => {
    for (const type of ['NodePort', 'LoadBalancer'])
      expect(() => render(undefined, `service.type=${type}`)).toThrow(new RegExp(`service.type ${type} would publish .*/metrics`));
    expect(find(render(), 'Service', 'rate-api').spec.type).toBe('ClusterIP');
    expect(find(render(), 'ConfigMap', 'rate-api').data).toMatchObject({ REPLICA_HEADER: 'false' });
    // The experiment (and the kind workflow running it) tags answers by replica.
    expect(find(render('ci/experiment-values.yaml'), 'ConfigMap', 'rate-api').data).toMatchObject({ REPLICA_HEADER: 'true' });
  });

  it('declares the Kubernetes versions it needs and refuses older ones', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
    expect(chart.kubeVersion).toBe('>=1.28.0-0');
    expect(chart.maintainers).toEqual([expect.objectContaining({ name: expect.any(String) })]);
    const old = templateWith(['--kube-version', '1.27.0']);
    expect({ status: old.status, stderr: old.stderr }).toMatchObject({ status: 1, stderr: expect.stringMatching(/kubeVersion/) });
    // helm template without a cluster assumes a version new enough (helm is built with its Kubernetes version).
    expect(templateWith([]).status).toBe(0);
  });
});

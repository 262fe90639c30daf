import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { variablesOf } from '@rate/config';
import { apiCpuLimitMillis, kafkaRetention, parseCpuQuantity } from '../harness/stack';
import { readVersions, ROOT } from '../harness/stack';
import { CHART, find, K8sObject, render, run, template, TOOL } from './render';

const SCENARIOS = readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('-values.yaml'));
const KUBERNETES_VERSION = '1.31.0';

function podSpecs(objects: K8sObject[]) {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
    .map((o) => ({ object: o, pod: o.spec.template.spec }));
}

/** Every variable a container gets: its env plus the keys of the ConfigMaps it takes envFrom. */
function containerEnv(objects: K8sObject[], container: any): Record<string, string | null> {
  const env: Record<string, string | null> = {};
  for (const from of container.envFrom ?? []) {
    Object.assign(env, find(objects, 'ConfigMap', from.configMapRef.name).data);
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? null;
  return env;
}

describe('helm chart', () => {
  it('passes helm lint --strict with defaults and with every ci values file', () => {
    for (const values of [undefined, ...SCENARIOS.map((s) => `ci/${s}`)]) {
      const result = run(TOOL('helm'), ['lint', '--strict', CHART, ...(values ? ['-f', join(CHART, values)] : [])]);
      expect({ values, status: result.status, out: result.stdout + result.stderr }).toMatchObject({ status: 0 });
    }
  });

  it.each(SCENARIOS)('renders %s into objects valid against the Kubernetes %s schemas', (scenario) => {
    const result = template(`ci/${scenario}`);
    expect(result.status).toBe(0);
    // CRDs (HTTPRoute, ServiceMonitor, PrometheusRule) are not in the core schemas; everything else must validate strictly.
    const file = join(mkdtempSync(join(tmpdir(), 'rate-chart-')), scenario);
    writeFileSync(file, result.stdout);
    const validation = run(TOOL('kubernetes-validate'), ['--strict', '-k', KUBERNETES_VERSION, '--quiet', file]);
    const problems = (validation.stdout + validation.stderr)
      .split('\n')
      .filter((l) => l.trim() && !/kind (HTTPRoute|ServiceMonitor|PrometheusRule) /.test(l));
    expect({ status: validation.status, problems }).toEqual({ status: 0, problems: [] });
  });

  it('takes the API replica count from replicas, and from the replicaCount alias', () => {
    expect(find(render(), 'Deployment', 'rate-api').spec.replicas).toBe(1);
    expect(find(render(undefined, 'replicas=3'), 'Deployment', 'rate-api').spec.replicas).toBe(3);
    expect(find(render(undefined, 'replicaCount=4'), 'Deployment', 'rate-api').spec.replicas).toBe(4);
    expect(find(render('ci/replicas-3-values.yaml'), 'Deployment', 'rate-consumer').spec.replicas).toBe(2);
  });

  it.each(['replicas=-1', 'replicas=abc', 'replicas=0', 'replicas=1.5'])('rejects --set %s with a readable error', (set) => {
    const result = template(undefined, set);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema|schema/i);
    expect(result.stderr).toMatch(/replicas/);
  });

  it('fails once, readably, for contradictory values', () => {
    const result = template(undefined, 'kafka.enabled=false', 'redis.enabled=false', 'config.rateMin=9', 'config.rateMax=3');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('kafka.enabled=false needs kafka.external.brokers');
    expect(result.stderr).toContain('redis.enabled=false needs redis.external.url');
    expect(result.stderr).toContain('config.rateMin (9) is above config.rateMax (3)');
  });

  it('probes the routes the apps serve, on the ports they listen on', () => {
    const objects = render();
    for (const [name, portVar] of [
      ['rate-api', 'PORT'],
      ['rate-consumer', 'HEALTH_PORT'],
    ]) {
      const container = find(objects, 'Deployment', name).spec.template.spec.containers[0];
      const env = containerEnv(objects, container);
      expect(container.ports[0].containerPort).toBe(Number(env[portVar]));
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.readinessProbe.httpGet.port).toBe(container.ports[0].name);
    }
  });

  it('sets exactly variables the config schema knows, and every required one', () => {
    const objects = render();
    for (const [name, app] of [
      ['rate-api', 'rate-api'],
      ['rate-consumer', 'rate-consumer'],
    ] as const) {
      const env = containerEnv(objects, find(objects, 'Deployment', name).spec.template.spec.containers[0]);
      const known = variablesOf(app);
      expect(Object.keys(env).filter((v) => !(known as string[]).includes(v))).toEqual([]);
      expect(Object.keys(env)).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'REDIS_URL', 'REPLICA_NAME']));
    }
  });

  it('uses the chart values as the single source of the per-replica CPU limit', () => {
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const api = find(render(), 'Deployment', 'rate-api').spec.template.spec.containers[0];
    expect(api.resources).toEqual(values.resources);
    expect(parseCpuQuantity(api.resources.limits.cpu)).toBe(apiCpuLimitMillis(join(CHART, 'values.yaml')));
    const experiment = find(render('ci/experiment-values.yaml'), 'Deployment', 'rate-api').spec.template.spec.containers[0];
    expect(experiment.resources.limits.cpu).toBe('150m');
  });

  it("puts api.nodeFlags before the image's own script, and leaves the image's command alone without them", () => {
    const cmd = /^FROM runtime AS rate-api\n(?:.*\n)*?CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const script = JSON.parse(cmd![1]) as string[];
    const api = (objects: K8sObject[]) => find(objects, 'Deployment', 'rate-api').spec.template.spec.containers[0];
    expect(api(render('ci/experiment-values.yaml')).args).toEqual(['--single-threaded-gc', ...script]);
    expect(api(render()).args).toBeUndefined();
    expect(template(undefined, 'api.nodeFlags[0]=rm').stderr).toMatch(/nodeFlags/);
  });

  it.each(SCENARIOS)('runs every pod of %s under the restricted security profile', (scenario) => {
    for (const { object, pod } of podSpecs(render(`ci/${scenario}`))) {
      expect({ name: object.metadata.name, ...pod.securityContext }).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        if (!object.metadata.name.endsWith('-kafka')) expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(container.resources.limits).toBeDefined();
      }
    }
  });

  it('selects pods by labels they carry, and routes the ingress to the API service', () => {
    const objects = render('ci/replicas-3-values.yaml');
    for (const { object, pod } of podSpecs(objects)) {
      expect(object.spec.template.metadata.labels).toMatchObject(object.spec.selector.matchLabels);
      expect(pod).toBeDefined();
    }
    const apiPods = find(objects, 'Deployment', 'rate-api').spec.template.metadata.labels;
    expect(apiPods).toMatchObject(find(objects, 'Service', 'rate-api').spec.selector);
    const ingress = find(objects, 'Ingress', 'rate');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'rate-api', port: { name: 'http' } });
    expect(find(objects, 'PodDisruptionBudget', 'rate-api').spec.selector.matchLabels).toEqual(
      find(objects, 'Deployment', 'rate-api').spec.selector.matchLabels,
    );
  });

  it('creates a PodDisruptionBudget only when more than one replica runs', () => {
    expect(render().some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    expect(render(undefined, 'replicas=2').some((o) => o.kind === 'PodDisruptionBudget')).toBe(true);
  });

  it('deletes the Kafka and Redis claims on helm uninstall unless asked to keep them', () => {
    // Found on a real control plane (npm run cluster:test): without a retention policy the claims
    // outlive the release, and a later install of the same name silently reuses the old data.
    const policy = (objects: K8sObject[], name: string) => find(objects, 'StatefulSet', name).spec.persistentVolumeClaimRetentionPolicy;
    const defaults = render();
    expect(policy(defaults, 'rate-kafka')).toEqual({ whenDeleted: 'Delete', whenScaled: 'Retain' });
    expect(policy(defaults, 'rate-redis')).toEqual({ whenDeleted: 'Delete', whenScaled: 'Retain' });
    const kept = render(undefined, 'kafka.persistence.keepOnUninstall=true', 'redis.persistence.enabled=false');
    expect(policy(kept, 'rate-kafka')).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(policy(kept, 'rate-redis')).toBeUndefined();
  });

  it('advertises the in-chart Kafka by its Service DNS name, the address the apps use', () => {
    const objects = render();
    const service = find(objects, 'Service', 'rate-kafka');
    const kafka = find(objects, 'StatefulSet', 'rate-kafka').spec.template.spec.containers[0];
    const advertised = kafka.env.find((e: { name: string }) => e.name === 'KAFKA_ADVERTISED_LISTENERS').value;
    const brokers = find(objects, 'ConfigMap', 'rate-api').data!.KAFKA_BROKERS;
    expect(brokers).toBe(`${service.metadata.name}.rate.svc.cluster.local:9092`);
    expect(advertised).toBe(`PLAINTEXT://${brokers}`);
    expect(kafka.image).toBe(`apache/kafka:${readVersions().KAFKA_VERSION}`);
  });

  it('caps the Kafka log by bytes from the volume size, so steady load never fills the disk (#19)', () => {
    const kafkaEnv = (objects: K8sObject[]) =>
      containerEnv(objects, find(objects, 'StatefulSet', 'rate-kafka').spec.template.spec.containers[0]);
    for (const [size, bytes] of [
      ['1.5Gi', 1.5 * 1024 ** 3],
      ['2Gi', 2 * 1024 ** 3],
      ['50G', 50e9],
    ] as const) {
      const env = kafkaEnv(render(undefined, `kafka.persistence.size=${size}`));
      const [retention, segment] = [Number(env.KAFKA_LOG_RETENTION_BYTES), Number(env.KAFKA_LOG_SEGMENT_BYTES)];
      // 6 partitions of the topic and 1 of the dead-letter topic, each at most retention + one active segment.
      expect(7 * (retention + segment)).toBeLessThanOrEqual(bytes * 0.6);
      expect(7 * (retention + segment)).toBeGreaterThan(bytes * 0.55);
      expect(segment).toBeGreaterThanOrEqual(1024 ** 2);
      expect(env.KAFKA_LOG_RETENTION_HOURS).toBe('168');
    }
    // The schema takes any quantity; a milli-byte one names the value and the expected form.
    expect(template(undefined, 'kafka.persistence.size=500m').stderr).toMatch(
      /kafka.persistence.size must be a byte quantity such as 2Gi or 500M, got "500m"/,
    );
  });

  it('gives the local broker the retention the chart gives its broker', () => {
    const env = containerEnv(render(), find(render(), 'StatefulSet', 'rate-kafka').spec.template.spec.containers[0]);
    const local = kafkaRetention(join(CHART, 'values.yaml'));
    expect({ hours: String(local.hours), bytes: String(local.retentionBytes), segment: String(local.segmentBytes) }).toEqual({
      hours: env.KAFKA_LOG_RETENTION_HOURS,
      bytes: env.KAFKA_LOG_RETENTION_BYTES,
      segment: env.KAFKA_LOG_SEGMENT_BYTES,
    });
  });

  it('uses external Kafka and Redis instead of in-chart ones', () => {
    const objects = render('ci/external-values.yaml');
    expect(objects.filter((o) => /-(kafka|redis)$/.test(o.metadata.name))).toEqual([]);
    expect(find(objects, 'ConfigMap', 'rate-consumer').data).toMatchObject({
      KAFKA_BROKERS: 'kafka-0.kafka.data:9092,kafka-1.kafka.data:9092,kafka-2.kafka.data:9092',
      REDIS_URL: 'redis://redis.data:6379/0',
    });
    // Three brokers: both apps create (and check) the topics with RF 3 and min.insync.replicas 2.
    for (const app of ['rate-api', 'rate-consumer']) {
      expect(find(objects, 'ConfigMap', app).data).toMatchObject({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    }
  });

  it('gives an API pod the drain plus the grace period before it is killed', () => {
    const defaults = render();
    expect(find(defaults, 'ConfigMap', 'rate-api').data?.SHUTDOWN_DRAIN_MS).toBe('5000');
    expect(find(defaults, 'Deployment', 'rate-api').spec.template.spec.terminationGracePeriodSeconds).toBe(20);
    const longDrain = find(render(undefined, 'config.shutdownDrainMs=12500'), 'Deployment', 'rate-api');
    expect(longDrain.spec.template.spec.terminationGracePeriodSeconds).toBe(28);
  });

  it('offers a Gateway API HTTPRoute instead of the Ingress', () => {
    const objects = render('ci/gateway-values.yaml');
    expect(objects.some((o) => o.kind === 'Ingress')).toBe(false);
    const route = find(objects, 'HTTPRoute', 'rate');
    expect(route.spec.parentRefs).toEqual([{ name: 'eg', namespace: 'envoy-gateway-system' }]);
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: 'rate-api', port: 80 }]);
  });

  it('hands the replica count to the HPA', () => {
    const objects = render('ci/hpa-netpol-values.yaml');
    expect(find(objects, 'Deployment', 'rate-api').spec.replicas).toBeUndefined();
    expect(find(objects, 'HorizontalPodAutoscaler', 'rate-api').spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
  });

  it('rolls the pods when their configuration changes', () => {
    const checksum = (objects: K8sObject[]) =>
      find(objects, 'Deployment', 'rate-api').spec.template.metadata.annotations['checksum/config'];
    expect(checksum(render())).toBe(checksum(render()));
    expect(checksum(render(undefined, 'config.logLevel=debug'))).not.toBe(checksum(render()));
  });

  it('ships a helm test that posts a rating under its own subject, reads it back and deletes it, with resources', () => {
    const test = find(render(), 'Pod', 'rate-test');
    expect(test.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test' });
    const [post] = test.spec.initContainers;
    const script = post.args[0] as string;
    expect(script).toContain('subject="helm-test.$POD_UID"');
    expect(script).toContain('-X POST "$base/rate?rate=7&subject=$subject"');
    // A policy controller admits a new pod's address a moment after it starts (seen on the real node).
    expect(script).toMatch(/curl -s --retry \d+ --retry-delay \d+ --retry-connrefused --retry-max-time 60 .* -X POST/);
    expect(script).toContain('$base/rate?subject=$subject');
    expect(script).toContain('http://rate-api:80');
    const [cleanUp] = test.spec.containers;
    expect(cleanUp.args[0]).toContain('subject="helm-test.$POD_UID"');
    expect(cleanUp.args[0]).toMatch(/until redis-cli -c -u .* PING/);
    expect(cleanUp.args[0]).toContain('redis-cli -c -u "redis://rate-redis.rate.svc.cluster.local:6379" DEL "rate:{p$n}:s:$subject"');
    expect(cleanUp.args[0]).toContain('-lt 6 ]');
    expect(cleanUp.env).toContainEqual({
      name: 'REDISCLI_AUTH',
      valueFrom: { secretKeyRef: { name: 'rate-redis', key: 'redis-password' } },
    });
    for (const container of [post, cleanUp])
      expect(container.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
    // Redis lets the test pod in (and only Redis, besides the API it tests); in a Redis Cluster, the first node.
    const policy = find(render('ci/networkpolicy-values.yaml'), 'NetworkPolicy', 'rate-redis').spec.ingress[0].from;
    expect(policy).toContainEqual({ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'test' }) } });
    expect(find(render('ci/networkpolicy-values.yaml'), 'NetworkPolicy', 'rate-kafka').spec.ingress[0].from).toHaveLength(2);
    const cluster = find(render('ci/scale-out-values.yaml'), 'Pod', 'rate-test').spec.containers[0].args[0];
    expect(cluster).toContain('-u "redis://rate-redis-0.rate.svc.cluster.local:6379"');
  });

  it('prints the working URL and a curl in NOTES.txt', () => {
    // helm install --dry-run needs a cluster; a copy of the chart renders NOTES.txt as a template.
    const copy = join(mkdtempSync(join(tmpdir(), 'rate-notes-')), 'rate');
    cpSync(CHART, copy, { recursive: true });
    copyFileSync(join(copy, 'templates', 'NOTES.txt'), join(copy, 'templates', 'notes-preview.txt'));
    const args = ['template', 'rate', copy, '--namespace', 'rate', '--set', 'replicas=3', '--set', 'ingress.host=rate.local'];
    const result = run(TOOL('helm'), [...args, '--show-only', 'templates/notes-preview.txt']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("curl -i -X POST 'http://rate.local/rate?rate=5'");
    expect(result.stdout).toContain('3 API replica(s)');
    expect(result.stdout).toContain('svc/rate-api 8080:80');
    expect(result.stdout).not.toContain('WARNING');
    // Policies off and Kafka in the clear: said at install time.
    const open = run(TOOL('helm'), [...args, '--set', 'networkPolicy.enabled=false', '--show-only', 'templates/notes-preview.txt']);
    expect(open.stdout).toMatch(/WARNING: NetworkPolicies are off .* Kafka speaks PLAINTEXT/s);
    const sasl = ['kafka.enabled=false', 'kafka.external.brokers=k:9093', 'kafka.external.sasl.mechanism=scram-sha-512'];
    const secured = run(TOOL('helm'), [
      ...args,
      ...[
        'networkPolicy.enabled=false',
        ...sasl,
        'kafka.external.sasl.username=rate',
        'kafka.external.sasl.existingSecret=kafka-pw',
      ].flatMap((v) => ['--set', v]),
      '--show-only',
      'templates/notes-preview.txt',
    ]);
    expect({ status: secured.status, stderr: secured.stderr }).toMatchObject({ status: 0 });
    expect(secured.stdout).not.toContain('WARNING');
  });
});

describe('repository checks', () => {
  it('passes actionlint on the kind workflow', () => {
    const result = run(TOOL('actionlint'), ['-color=false', join(ROOT, '.github', 'workflows', 'kind.yml')]);
    expect({ status: result.status, out: result.stdout + result.stderr }).toEqual({ status: 0, out: '' });
  });

  it('passes hadolint on the Dockerfile', () => {
    const result = run(TOOL('hadolint'), ['--no-color', join(ROOT, 'Dockerfile')]);
    expect({ status: result.status, out: result.stdout + result.stderr }).toEqual({ status: 0, out: '' });
  });
});

describe('k6 scripts', () => {
  it('type-check against @types/k6', () => {
    const result = run(process.execPath, [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(ROOT, 'loadtest', 'tsconfig.json'),
    ]);
    expect({ status: result.status, out: result.stdout + result.stderr }).toEqual({ status: 0, out: '' });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { variablesOf } from '@rate/config';
import { CHART, find, K8sObject, render, template } from './render';

const WORKLOADS = [
  ['api', 'Deployment', 'rate-api'],
  ['consumer', 'Deployment', 'rate-consumer'],
  ['kafka', 'StatefulSet', 'rate-kafka'],
  ['redis', 'StatefulSet', 'rate-redis'],
] as const;

let placement: K8sObject[] | undefined;
const placementObjects = () => (placement ??= render('ci/placement-values.yaml'));

const pod = (objects: K8sObject[], kind: string, name: string) => find(objects, kind, name).spec.template;

describe('placement and pod knobs per component', () => {
  it('spreads API replicas across nodes by default, softly so a one-node cluster still schedules them', () => {
    const spec = pod(render(undefined, 'replicas=3'), 'Deployment', 'rate-api').spec;
    expect(spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: {
          matchLabels: { 'app.kubernetes.io/name': 'rate', 'app.kubernetes.io/instance': 'rate', 'app.kubernetes.io/component': 'api' },
        },
      },
    ]);
  });

  it.each(WORKLOADS)('applies every knob of %s from ci/placement-values.yaml', (component, kind, name) => {
    const objects = placementObjects();
    const template = pod(objects, kind, name);
    expect(template.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(template.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: component, effect: 'NoSchedule' }]);
    expect(template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0]).toEqual({
      key: 'pool',
      operator: 'In',
      values: [component],
    });
    expect(template.spec.topologySpreadConstraints).toHaveLength(1);
    expect(template.spec.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
    });
    expect(template.spec.topologySpreadConstraints[0].labelSelector.matchLabels['app.kubernetes.io/component']).toBe(component);
    expect(template.spec.terminationGracePeriodSeconds).toBe(45);
    expect(template.metadata.annotations).toMatchObject({ 'example.com/team': 'ratings' });
    expect(template.metadata.labels).toMatchObject({ team: 'ratings', 'app.kubernetes.io/component': component });
    expect(template.spec.containers[0].env).toContainEqual({ name: 'EXTRA_FOR_' + component.toUpperCase(), value: 'yes' });
    expect(pod(render(undefined, `${component}.priorityClassName=rate-${component}`), kind, name).spec.priorityClassName).toBe(
      `rate-${component}`,
    );
  });

  it('keeps selector labels when podLabels try to override them', () => {
    const template = pod(render(undefined, 'api.podLabels.app\\.kubernetes\\.io/component=hijack'), 'Deployment', 'rate-api');
    expect(template.metadata.labels['app.kubernetes.io/component']).toBe('api');
  });

  it('takes terminationGracePeriodSeconds from values and refuses one shorter than the app drain', () => {
    expect(
      pod(render(undefined, 'consumer.terminationGracePeriodSeconds=90'), 'Deployment', 'rate-consumer').spec.terminationGracePeriodSeconds,
    ).toBe(90);
    const result = template(undefined, 'api.terminationGracePeriodSeconds=5', 'config.shutdownGraceMs=10000');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'api.terminationGracePeriodSeconds (5 s) must exceed config.shutdownDrainMs + config.shutdownGraceMs (15000 ms)',
    );
    const consumer = template(undefined, 'consumer.terminationGracePeriodSeconds=10');
    expect(consumer.stderr).toContain('consumer.terminationGracePeriodSeconds (10 s) must exceed config.shutdownGraceMs (10000 ms)');
    // Unset, the API's follows the drain and the shutdown grace.
    expect(
      pod(
        render(undefined, 'config.shutdownDrainMs=12500', 'config.shutdownGraceMs=20000', 'consumer.terminationGracePeriodSeconds=30'),
        'Deployment',
        'rate-api',
      ).spec.terminationGracePeriodSeconds,
    ).toBe(38);
  });
});

describe('workload details', () => {
  it('defaults image tags to the chart appVersion', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const objects = render();
    expect(pod(objects, 'Deployment', 'rate-api').spec.containers[0].image).toBe(`rate-api:${chart.appVersion}`);
    expect(pod(objects, 'Deployment', 'rate-consumer').spec.containers[0].image).toBe(`rate-consumer:${chart.appVersion}`);
    expect(pod(render(undefined, 'image.api.tag=1.2.3'), 'Deployment', 'rate-api').spec.containers[0].image).toBe('rate-api:1.2.3');
  });

  it('has a PodDisruptionBudget for the consumer when more than one runs', () => {
    expect(render().some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'rate-consumer')).toBe(false);
    const objects = render('ci/replicas-3-values.yaml');
    const pdb = find(objects, 'PodDisruptionBudget', 'rate-consumer');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(find(objects, 'Deployment', 'rate-consumer').spec.selector.matchLabels);
  });

  it('governs the Kafka and Redis StatefulSets by headless Services', () => {
    const objects = render();
    for (const name of ['rate-kafka', 'rate-redis']) {
      const set = find(objects, 'StatefulSet', name);
      const headless = find(objects, 'Service', set.spec.serviceName);
      expect(headless.metadata.name).toBe(`${name}-headless`);
      expect(headless.spec.clusterIP).toBe('None');
      expect(headless.spec.publishNotReadyAddresses).toBe(true);
      expect(headless.spec.selector).toEqual(set.spec.selector.matchLabels);
      expect(find(objects, 'Service', name).spec.clusterIP).toBeUndefined();
    }
  });

  it('reaches every tunable variable of both apps from values', () => {
    const objects = render();
    // Set by the chart itself (ports it owns, the pod name) or by Secret.
    const owned = ['HOST', 'PORT', 'HEALTH_PORT', 'REPLICA_NAME', 'REDIS_PASSWORD', /^KAFKA_SASL_|^KAFKA_SSL/];
    for (const app of ['rate-api', 'rate-consumer'] as const) {
      const data = find(objects, 'ConfigMap', app).data!;
      const missing = variablesOf(app).filter((v) => !(v in data) && !owned.some((o) => (typeof o === 'string' ? o === v : o.test(v))));
      expect({ app, missing }).toEqual({ app, missing: [] });
    }
    const tuned = render(
      undefined,
      'config.shutdownGraceMs=15000',
      'config.produceMaxBatch=500',
      'config.produceTimeoutMs=2500',
      'config.produceLingerMs=2',
      'config.kafkaGroupId=ratings',
      'config.kafkaDlqTopic=ratings.dlq',
    );
    expect(find(tuned, 'ConfigMap', 'rate-api').data).toMatchObject({
      SHUTDOWN_GRACE_MS: '15000',
      PRODUCE_MAX_BATCH: '500',
      PRODUCE_TIMEOUT_MS: '2500',
      PRODUCE_LINGER_MS: '2',
    });
    expect(find(tuned, 'ConfigMap', 'rate-consumer').data).toMatchObject({
      SHUTDOWN_GRACE_MS: '15000',
      KAFKA_GROUP_ID: 'ratings',
      KAFKA_DLQ_TOPIC: 'ratings.dlq',
    });
  });
});

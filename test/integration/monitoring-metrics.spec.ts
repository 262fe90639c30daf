import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { dashboardQueries, parsePromQL, Query, readDashboard, ruleQueries } from '../chart/promql';
import { CHART, K8sObject, TOOL } from '../chart/render';
import { eventually, postRate, testKafka, TEST_STACK_ENV, uniqueSubject } from './test-stack';

/**
 * Kubernetes exposes these, not the apps: the kubelet's volume statistics (the Kafka disk alert)
 * and kube-state-metrics' desired replicas (the consumer-absent alert).
 */
const fromKubernetes = (metric: string) =>
  /^kubelet_volume_stats_(available|capacity)_bytes$/.test(metric) || metric === 'kube_deployment_spec_replicas';

/** Labels Prometheus adds to every scraped series (target labels), not the apps. */
const TARGET_LABELS = new Set(['namespace', 'pod', 'job', 'instance', 'service', 'container', 'endpoint', 'le']);

/** Sample names by metric family (histograms expose _bucket/_sum/_count) and label names seen per sample name. */
function exposition(text: string): Map<string, Set<string>> {
  const samples = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      const [, name, kind] = type;
      const names =
        kind === 'histogram'
          ? ['_bucket', '_sum', '_count'].map((s) => name + s)
          : kind === 'summary'
            ? [name, `${name}_sum`, `${name}_count`]
            : [name];
      for (const n of names) if (!samples.has(n)) samples.set(n, new Set());
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}/.exec(line);
    if (sample) for (const [, label] of sample[2].matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)) samples.get(sample[1])?.add(label);
  }
  return samples;
}

async function scrape(port: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

function prometheusRule(): K8sObject {
  const out = spawnSync(
    TOOL('helm'),
    ['template', 'rate', CHART, '--namespace', 'rate', '-f', join(CHART, 'ci', 'monitoring-values.yaml')],
    { encoding: 'utf8' },
  );
  if (out.status !== 0) throw new Error(out.stderr);
  const rule = parseAllDocuments(out.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .find((o) => o?.kind === 'PrometheusRule');
  if (!rule) throw new Error('ci/monitoring-values.yaml renders no PrometheusRule');
  return rule;
}

describe('dashboard and alerts against the apps real /metrics', () => {
  let metrics: Map<string, Set<string>>;

  beforeAll(async () => {
    // Traffic of every kind first, so labelled series exist: a 202, a 400, a poison record.
    expect((await postRate(5, uniqueSubject('monitoring'))).status).toBe(202);
    expect((await postRate(0, uniqueSubject('monitoring'))).status).toBe(400);
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic: 'rates', acks: -1, messages: [{ key: uniqueSubject('monitoring-poison'), value: 'not json' }] });
    await producer.disconnect();
    const consumer = await eventually(
      'the poison record dead-lettered',
      () => scrape(TEST_STACK_ENV.RATE_CONSUMER_PORT),
      (text) => /^rate_consumer_dead_letters_total [1-9]/m.test(text),
    );
    const api = await scrape(TEST_STACK_ENV.RATE_API_BASE_PORT);
    metrics = new Map([...exposition(api), ...exposition(consumer)]);
    for (const [name, labels] of exposition(api)) for (const label of labels) metrics.get(name)?.add(label);
  });

  const queries = (): Query[] => [...dashboardQueries(readDashboard()), ...ruleQueries(prometheusRule())];

  it('finds every metric the dashboard and the alerts query', () => {
    const used = queries().flatMap((q) =>
      parsePromQL(q.expr)
        .selectors.filter((s) => !fromKubernetes(s.metric))
        .map((s) => ({ where: q.where, metric: s.metric })),
    );
    expect(used.length).toBeGreaterThan(30);
    expect(used.filter((u) => !metrics.has(u.metric))).toEqual([]);
  });

  it('finds every label the queries match on, on the metric they match', () => {
    const wrong = queries().flatMap((q) =>
      parsePromQL(q.expr)
        .selectors.filter((s) => !fromKubernetes(s.metric))
        .flatMap((s) =>
          s.labels
            .filter((l) => !TARGET_LABELS.has(l) && !metrics.get(s.metric)?.has(l))
            .map((label) => ({ where: q.where, metric: s.metric, label })),
        ),
    );
    expect(wrong).toEqual([]);
  });

  it('would notice a metric that does not exist', () => {
    // The check itself can fail: a made-up name is reported.
    const { selectors } = parsePromQL('sum(rate(rate_made_up_total{namespace="x"}[5m]))');
    expect(selectors.filter((s) => !metrics.has(s.metric)).map((s) => s.metric)).toEqual(['rate_made_up_total']);
  });
});

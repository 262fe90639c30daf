import { find, K8sObject, render } from './render';
import { dashboardQueries, parsePromQL, readDashboard, ruleQueries } from './promql';

const MONITORING = 'ci/monitoring-values.yaml';

describe('Grafana dashboard', () => {
  it('ships as a ConfigMap with the Grafana sidecar label only when asked', () => {
    expect(render().some((o) => o.metadata.name === 'rate-dashboard')).toBe(false);
    const configMap = find(render(MONITORING), 'ConfigMap', 'rate-dashboard');
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'rate' });
    expect(JSON.parse(configMap.data!['rate.json'])).toEqual(readDashboard());
  });

  it('has a panel for each signal the operators asked for', () => {
    const metrics = new Set(dashboardQueries(readDashboard()).flatMap((q) => parsePromQL(q.expr).selectors.map((s) => s.metric)));
    for (const metric of [
      'rate_http_requests_total',
      'rate_http_request_duration_seconds_bucket',
      'rate_produce_batch_size_bucket',
      'rate_produce_batch_duration_seconds_bucket',
      'rate_consumer_lag',
      'rate_consumer_events_applied_total',
      'rate_consumer_events_skipped_total',
      'rate_consumer_poison_total',
      'rate_consumer_dead_letters_total',
      'rate_kafka_ready',
      'rate_redis_ready',
      'rate_redis_memory_used_bytes',
    ]) {
      expect({ metric, shown: metrics.has(metric) }).toEqual({ metric, shown: true });
    }
  });

  it('queries parse as PromQL and stay in the chosen namespace', () => {
    for (const query of dashboardQueries(readDashboard())) {
      const { errors, selectors } = parsePromQL(query.expr);
      expect({ where: query.where, errors }).toEqual({ where: query.where, errors: [] });
      if (query.where.startsWith('variable')) continue;
      for (const selector of selectors)
        expect({ where: query.where, ...selector }).toMatchObject({ labels: expect.arrayContaining(['namespace']) });
    }
  });

  it('lays out panels without overlaps on the 24-column grid', () => {
    const cells = new Set<string>();
    for (const panel of readDashboard().panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const cell = `${i},${j}`;
          expect({ panel: panel.title, cell, taken: cells.has(cell) }).toEqual({ panel: panel.title, cell, taken: false });
          cells.add(cell);
        }
      }
    }
  });
});

describe('ServiceMonitor and PrometheusRule', () => {
  it('are off by default', () => {
    expect(render().filter((o) => ['ServiceMonitor', 'PrometheusRule'].includes(o.kind))).toEqual([]);
  });

  it('scrape /metrics on the named pod ports of the API and consumer Services', () => {
    const objects = render(MONITORING);
    const monitor = find(objects, 'ServiceMonitor', 'rate');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const selected = objects.filter(
      (o) =>
        o.kind === 'Service' &&
        Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v) &&
        monitor.spec.selector.matchExpressions.every((e: any) => e.values.includes(o.metadata.labels?.[e.key])),
    );
    expect(selected.map((s) => s.metadata.name).sort()).toEqual(['rate-api', 'rate-consumer']);
    for (const endpoint of monitor.spec.endpoints) expect(endpoint).toMatchObject({ path: '/metrics', interval: '30s' });
    const portNames = selected.flatMap((s: K8sObject) => s.spec.ports.map((p: any) => p.name));
    expect(monitor.spec.endpoints.map((e: any) => e.port).sort()).toEqual(portNames.sort());
  });

  it('alert on lag growing, a stalled consumer, 503s, dead letters, Redis memory, a retention gap and a full Kafka disk, in the release namespace', () => {
    const rule = find(render(MONITORING, 'monitoring.prometheusRule.alertLabels.team=ratings'), 'PrometheusRule', 'rate');
    const rules = rule.spec.groups[0].rules;
    expect(rules.map((r: any) => r.alert)).toEqual([
      'RateConsumerLagGrowing',
      'RateConsumerNotProgressing',
      'RateApiUnavailable',
      'RateDeadLetters',
      'RateRedisMemoryNearLimit',
      'RateKafkaGap',
      'RateKafkaDiskNearFull',
      'RateDependencyDown',
    ]);
    for (const r of rules) {
      expect(r).toMatchObject({
        for: expect.stringMatching(/^\d+m$/),
        labels: { severity: expect.stringMatching(/^(warning|critical)$/), team: 'ratings' },
      });
      expect(r.annotations.summary).toEqual(expect.any(String));
    }
    for (const query of ruleQueries(rule)) {
      const { errors, selectors } = parsePromQL(query.expr);
      expect({ where: query.where, errors }).toEqual({ where: query.where, errors: [] });
      for (const selector of selectors)
        expect({ where: query.where, ...selector }).toMatchObject({ labels: expect.arrayContaining(['namespace']) });
    }
    expect(rules[0].expr).toContain('> 1000 and');
    expect(rules[4].expr).toContain('> 0.85');
    expect(
      find(render(MONITORING, 'monitoring.prometheusRule.lagThreshold=5000'), 'PrometheusRule', 'rate').spec.groups[0].rules[0].expr,
    ).toContain('> 5000 and');
  });

  it('counts missing consumer metrics as a stall only when the chart scrapes them and consumers should run', () => {
    const stalled = (...sets: string[]) =>
      find(render(MONITORING, ...sets), 'PrometheusRule', 'rate').spec.groups[0].rules.find(
        (r: any) => r.alert === 'RateConsumerNotProgressing',
      ).expr;
    // kube-state-metrics' desired replicas of the consumer: scaled to 0, nothing absent is a stall.
    expect(stalled()).toMatch(
      /absent\(rate_consumer_events_applied_total\{namespace="rate"\}\)\s*and on\(\) sum\(kube_deployment_spec_replicas\{namespace="rate", deployment="rate-consumer"\}\) > 0/,
    );
    // Scraping left to someone else: no absent() clause at all.
    expect(stalled('monitoring.serviceMonitor.enabled=false')).not.toContain('absent(');
  });
});

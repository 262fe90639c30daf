import { ExperimentMeta, ReplicaRun } from './experiment-types';
import { barChart, buildSummary, headlineTable, markdownToHtml, renderHtml, renderMarkdown } from './report';

const meta: ExperimentMeta = {
  startedAt: '2026-11-25T22:00:00.000Z',
  quick: false,
  driver: 'vegeta',
  target: 'local',
  cpuLimitPerReplica: '250m',
  cgroups: true,
  cgroupProblem: null,
  machine: { cpus: 2, model: 'test cpu', memoryGiB: 24 },
  objective: { p99_ms: 50, max_error_rate: 0.001 },
  openRate: 60,
  repeats: 3,
  valuesFile: 'charts/rate/ci/experiment-values.yaml',
};

function run(replicas: number, capacities: number[], lost = 0): ReplicaRun {
  const step = (offered: number, pass: boolean) => ({ offered, achieved: offered, p50Ms: 3, p99Ms: pass ? 30 : 90, errorRate: 0, pass });
  return {
    replicas,
    closed: [{ rps: 160 * replicas, p50Ms: 30 / replicas, meanMs: 31.25 / replicas, p99Ms: 60, connections: 5 }],
    capacity: capacities.map((capacity) => ({ capacity, limitedBy: 'latency' as const, steps: [step(capacity / 2, true), step(capacity, true), step(capacity * 1.25, false)] })),
    open: [{ offered: 60, sentRate: 60, p50Ms: 4 / replicas, p90Ms: 10, p99Ms: 40 / replicas, errorRate: 0, generatorCpuPct: 12, cpuPct: { 'api-1': 20, kafka: 15 } }],
    cpuAtCapacity: Object.fromEntries([...Array.from({ length: replicas }, (_, i) => [`api-${i + 1}`, 24.5]), ['kafka', 30], ['nginx', 10]]),
    throttledPct: { atCapacity: { 'api-1': 2.5 }, atFailure: { 'api-1': 31 } },
    replicaShare: Object.fromEntries(Array.from({ length: replicas }, (_, i) => [`api-${i + 1}`, 1 / replicas])),
    freshnessMs: [12, 8, 30, 15],
    integrity: { accepted: 1000, aggregated: 1000 - lost, lost, duplicated: 0 },
    capacityTraffic: { accepted: 5000, aggregated: 5000 },
  };
}

describe('experiment report', () => {
  const runs = [run(1, [120, 110, 130]), run(3, [340, 330, 360])];
  const summary = buildSummary(meta, runs);

  it('writes summary.json with the keys DESIGN.md fixes', () => {
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['cpu_limit_per_replica', 'cgroups', 'quick', 'driver', 'results', 'capacity_ratio_3_vs_1']));
    for (const n of ['1', '3']) {
      expect(Object.keys(summary.results[n] as object)).toEqual(
        expect.arrayContaining(['capacity_rps', 'p50_ms', 'p99_ms', 'offered_rps', 'accepted', 'aggregated', 'lost', 'duplicated', 'replica_share', 'generator_cpu_pct']),
      );
    }
    expect(summary.cpu_limit_per_replica).toBe('250m');
  });

  it('reports medians, the per-repeat ratio and exact integrity', () => {
    expect(summary.results['1']).toMatchObject({ capacity_rps: 120, capacity_rps_runs: [120, 110, 130], offered_rps: 60, p99_ms: 40 });
    expect(summary.results['3']).toMatchObject({ capacity_rps: 340, replica_share: { 'api-1': 1 / 3, 'api-2': 1 / 3, 'api-3': 1 / 3 } });
    expect(summary.capacity_ratio_3_vs_1).toBe(2.83);
    expect(summary.capacity_ratio_3_vs_1_runs).toEqual([2.83, 3, 2.77]);
    expect(summary.integrity_exact).toBe(true);
    expect((summary.results['1'] as { closed_model: object }).closed_model).toMatchObject({ rps: 160, mean_ms: 31.25, rps_runs: [160] });
    expect(buildSummary(meta, [run(1, [100], 3)]).integrity_exact).toBe(false);
  });

  it("takes the closed model from the median repeat, whole, so Little's law holds within it", () => {
    const three = run(1, [100]);
    three.closed = [
      { rps: 300, p50Ms: 8, meanMs: 16.6, p99Ms: 90, connections: 5 },
      { rps: 800, p50Ms: 3, meanMs: 6.25, p99Ms: 30, connections: 5 },
      { rps: 700, p50Ms: 4, meanMs: 7.1, p99Ms: 40, connections: 5 },
    ];
    expect((buildSummary(meta, [three]).results['1'] as { closed_model: object }).closed_model).toEqual({
      connections: 5,
      rps: 700,
      p50_ms: 4,
      mean_ms: 7.1,
      p99_ms: 40,
      rps_runs: [300, 800, 700],
    });
  });

  it('explains the closed-model artefact with the original numbers and ours', () => {
    const md = renderMarkdown(summary, meta);
    expect(md).toContain('5 / 1.01 s = 4.95 rps');
    expect(md).toContain("wrk -c5: 160 rps (p50 30 ms, p99 60 ms), so each of the 5 connections completed a request every 31.25 ms (Little's law, 5 / 160 rps)");
    expect(md).toContain('the API replicas, at their CPU quota (');
    expect(md).toContain('whole machine 64.5 % of 200 %');
    expect(md).toContain('api-1 2.5 % at capacity, api-1 31 % at the first failing step');
    expect(md).toContain('whole machine 113.5 % of 200 %');
    expect(md).toContain(headlineTable(summary));
  });

  it('says loudly when the CPU limits were not applied', () => {
    const md = renderMarkdown(buildSummary({ ...meta, cgroups: false }, runs), { ...meta, cgroups: false, cgroupProblem: 'cgroups not writable here' });
    expect(md).toContain('**NOT APPLIED — cgroups not writable here.');
  });

  it('flags a load generator above 80 % of a core', () => {
    const busy = run(1, [100]);
    busy.open[0].generatorCpuPct = 93;
    const s = buildSummary(meta, [busy]);
    expect(s.results['1']).toMatchObject({ generator_cpu_pct: 93, generator_flagged: true });
    expect(renderMarkdown(s, meta)).toContain('FLAGGED');
  });

  it('renders a self-contained HTML report with the four charts', () => {
    const html = renderHtml(summary, meta, runs, renderMarkdown(summary, meta));
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).toContain('Throughput served vs offered load');
    expect(html).toContain('Per-replica share of requests');
    expect(html).toContain('CPU per component at capacity');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).toContain('<table>');
  });

  it('escapes text in charts and Markdown', () => {
    expect(barChart('<x>', 'ms', [{ label: 'a&b', bars: [{ name: 'p99', value: 1 }] }])).toContain('&lt;x&gt;');
    expect(markdownToHtml('- **bold** `code` <tag>')).toBe('<ul>\n<li><strong>bold</strong> <code>code</code> &lt;tag&gt;</li>\n</ul>');
  });
});

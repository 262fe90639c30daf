import { judgeStep, StepMeasurement } from './capacity-definition';
import { CapacityRun } from './capacity-measurement';
import { sweepFigures } from './capacity-definition';
import { ContentionReading } from './contention';
import { ExperimentMeta, ReplicaRun, Runs } from './experiment-types';
import { barChart, headline, headlineTable, markdownToHtml, quotaStudyTable, renderHtml, renderMarkdown } from './report';
import { GuardedStep } from './step-runner';
import { AttributedEpisode, summarizeStalls } from './stalls';
import { buildSummary, cpuPerRequestMs, saturation } from './summary';

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
  sustainableTolerance: 0.02,
  openRate: 60,
  repeats: 5,
  stepDurationS: 12,
  windows: 3,
  stepFactor: 1.1,
  contentionLimits: { outsideCpuPct: 10, generatorCpuPct: 80, retries: 3 },
  valuesFile: 'charts/rate/ci/experiment-values.yaml',
};

const clean = (outside = 3, generator = 20): ContentionReading => ({
  seconds: 12,
  outsideCpuPct: outside,
  generatorCpuPct: generator,
  stackCpuPct: 80,
  harnessCpuPct: 2,
  interruptsCpuPct: 2,
  stealCpuPct: 0,
  machineIdlePct: 40,
});

const throttledEpisode: AttributedEpisode = {
  startMs: 1000,
  endMs: 1090,
  requests: 7,
  maxLatencyMs: 96,
  replicas: { 'api-1': 7 },
  causes: ['cfs_throttling'],
  throttledMs: { 'api-1': 72 },
  gcPausesOver10ms: 0,
  acksOver25ms: 0,
  outsideCpuPct: 2,
};

/** A sweep whose objective holds up to `capacity` and throughput up to `sustainable`; `stallAt` fails one rate below. */
function sweep(rates: number[], capacity: number, sustainable: number, replicas: number, stallAt?: number, contention = clean()) {
  const steps = rates.map((offered) => {
    const slow = offered > capacity || offered === stallAt;
    const measurement: StepMeasurement = {
      offered,
      sentRate: offered,
      throughput: offered <= sustainable ? offered : sustainable,
      p50Ms: 3,
      p99Ms: slow ? 90 : 20,
      errorRate: 0,
      windows: [0, 1, 2].map(() => ({ requests: 400, p99Ms: slow ? 90 : 20, errorRate: 0 })),
    };
    const episodes = offered === stallAt ? [throttledEpisode] : [];
    const step: GuardedStep = {
      ...measurement,
      requests: offered * 12,
      accepted: offered * 12,
      p90Ms: 10,
      maxMs: 120,
      statusCodes: { '202': offered * 12 },
      misses: null,
      contention,
      cpuPct: {
        nginx: 10,
        ...Object.fromEntries(Array.from({ length: replicas }, (_, i) => [`api-${i + 1}`, 24])),
        kafka: 30,
        generator: contention.generatorCpuPct,
      },
      throttledPct: { 'api-1': offered > capacity ? 35 : 2 },
      stalls: summarizeStalls(episodes),
      episodes,
      attempts: 1,
      contended: contention.outsideCpuPct > 10 ? `outside load ${contention.outsideCpuPct} % of a core > 10 %` : null,
    };
    return { ...step, verdict: judgeStep(step, { p99Ms: 50, maxErrorRate: 0.001 }, 0.02) };
  });
  return { steps, ...sweepFigures(steps) };
}

function capacityRun(capacities: number[], sustainables: number[], replicas: number, contention?: ContentionReading): CapacityRun {
  return {
    located: { estimate: capacities[0], sustainableEstimate: sustainables[0], steps: [] },
    sweeps: capacities.map((c, i) => {
      const rates = [c * 0.6, c * 0.8, c, c * 1.1, sustainables[i], sustainables[i] * 1.2, sustainables[i] * 1.4].map(Math.round);
      return sweep(
        [...new Set(rates)].sort((a, b) => a - b),
        c,
        sustainables[i],
        replicas,
        i === 0 ? Math.round(c * 0.8) : undefined,
        contention,
      );
    }),
  };
}

function run(replicas: number, capacities: number[], sustainables: number[], lost = 0, contention?: ContentionReading): ReplicaRun {
  return {
    replicas,
    idleCpuPct: {
      nginx: 0,
      ...Object.fromEntries(Array.from({ length: replicas }, (_, i) => [`api-${i + 1}`, 0.7])),
      kafka: 2.5,
      consumer: 1.1,
    },
    closed: [{ rps: 160 * replicas, p50Ms: 30 / replicas, meanMs: 31.25 / replicas, p99Ms: 60, connections: 5 }],
    capacity: capacityRun(capacities, sustainables, replicas, contention),
    open: [
      {
        offered: 60,
        sentRate: 60,
        p50Ms: 4 / replicas,
        p90Ms: 10,
        p99Ms: 40 / replicas,
        errorRate: 0,
        generatorCpuPct: 12,
        cpuPct: { 'api-1': 3.7, kafka: 5.5, nginx: 0.6, generator: 12 },
        contention: clean(),
      },
    ],
    replicaShare: Object.fromEntries(Array.from({ length: replicas }, (_, i) => [`api-${i + 1}`, 1 / replicas])),
    freshnessMs: [12, 8, 30, 15],
    integrity: { accepted: 1000, aggregated: 1000 - lost, lost, duplicated: 0, waiting: 0, waitingReason: null },
    capacityTraffic: { accepted: 5000, aggregated: 5000 },
  };
}

const runs: Runs = {
  replicas: [run(1, [120, 110, 130, 120, 125], [150, 140, 150, 155, 150]), run(3, [340, 330, 360, 350, 345], [430, 420, 440, 430, 435])],
  baseline: {
    idleCpuPct: { nginx: 0, 'baseline-1': 0.1 },
    capacity: capacityRun([240, 250, 230, 240, 245], [300, 310, 300, 305, 300], 1),
    cgroups: true,
  },
};

describe('experiment summary', () => {
  const summary = buildSummary(meta, runs);

  it('writes summary.json with the keys DESIGN.md fixes, the added ones included', () => {
    expect(Object.keys(summary)).toEqual(
      expect.arrayContaining([
        'cpu_limit_per_replica',
        'cgroups',
        'quick',
        'driver',
        'results',
        'capacity_ratio_3_vs_1',
        'baseline',
        'capacity_ratio_interval',
        'contention',
      ]),
    );
    for (const n of ['1', '3']) {
      expect(Object.keys(summary.results[n])).toEqual(
        expect.arrayContaining([
          'capacity_rps',
          'p50_ms',
          'p99_ms',
          'offered_rps',
          'accepted',
          'aggregated',
          'lost',
          'duplicated',
          'replica_share',
          'generator_cpu_pct',
          'sustainable_rps',
          'capacity_cv',
        ]),
      );
    }
    expect(Object.keys(summary.baseline!)).toEqual(['capacity_rps', 'sustainable_rps']);
    expect(Object.keys(summary.contention)).toEqual(expect.arrayContaining(['outside_cpu_pct_max', 'generator_cpu_pct_max', 'flagged']));
  });

  it('gives median, interquartile range and coefficient of variation for both figures', () => {
    expect(summary.results['1']).toMatchObject({
      capacity_rps: 120,
      capacity_rps_runs: [120, 110, 130, 120, 125],
      capacity_iqr: [120, 125],
      sustainable_rps: 150,
      sustainable_iqr: [150, 150],
    });
    expect(summary.results['1'].capacity_cv).toBeCloseTo(0.061, 3);
    expect(summary.results['3']).toMatchObject({
      capacity_rps: 345,
      sustainable_rps: 430,
      replica_share: { 'api-1': 1 / 3, 'api-2': 1 / 3, 'api-3': 1 / 3 },
    });
  });

  it('gives the 3-vs-1 ratios of both figures with bootstrap intervals around them', () => {
    expect(summary.capacity_ratio_3_vs_1).toBe(2.88);
    expect(summary.sustainable_ratio_3_vs_1).toBe(2.87);
    const [low, high] = summary.capacity_ratio_interval!;
    expect(low).toBeLessThanOrEqual(2.88);
    expect(high).toBeGreaterThanOrEqual(2.88);
    expect(high - low).toBeLessThan(0.6);
    expect(summary.capacity_ratio_3_vs_1_runs).toEqual([2.83, 3, 2.77, 2.92, 2.76]);
  });

  it('compares the app with the bare-Fastify baseline for both figures', () => {
    expect(summary.baseline).toEqual({ capacity_rps: 240, sustainable_rps: 300 });
    expect(summary.app_vs_baseline).toEqual({ capacity: 0.5, sustainable: 0.5 });
  });

  it('records the tail below capacity by cause, and the isolated failures', () => {
    const stalls = summary.results['1'].stalls;
    expect(stalls.isolated_failures).toEqual([[96], [], [], [], []]);
    expect(stalls.at_or_below_capacity.byCause).toEqual({ cfs_throttling: { episodes: 1, requests: 7 } });
    expect(stalls.worst_episodes[0]).toMatchObject({ offered: 96, causes: ['cfs_throttling'] });
    expect(summary.results['1'].throttled_periods_pct).toEqual({ atCapacity: { 'api-1': 2 }, atFailure: { 'api-1': 35 } });
  });

  it('gives CPU per request above idle at the equal offered load', () => {
    expect(summary.results['1'].cpu_ms_per_request).toEqual({ 'api-1': 0.5, kafka: 0.5, nginx: 0.1, api_total: 0.5 });
    expect(cpuPerRequestMs({ 'api-1': 20, 'api-2': 21, generator: 9 }, { 'api-1': 0.5, 'api-2': 1 }, 100)).toEqual({
      'api-1': 1.95,
      'api-2': 2,
      api_total: 3.95,
    });
    expect(cpuPerRequestMs({ 'api-1': 20 }, { 'api-1': 1 }, 0)).toEqual({});
  });

  it('withholds the ratios when any kept step stayed contended, and says so first', () => {
    const contended: Runs = {
      replicas: [runs.replicas[0], run(3, [600, 610, 590, 600, 605], [700, 700, 700, 700, 700], 0, clean(45))],
      baseline: null,
    };
    const s = buildSummary(meta, contended);
    expect(s.contention).toMatchObject({ flagged: true, outside_cpu_pct_max: 45 });
    expect(s.capacity_ratio_3_vs_1).toBeNull();
    expect(s.capacity_ratio_interval).toBeNull();
    expect(s.sustainable_ratio_3_vs_1).toBeNull();
    expect(headline(s)).toMatch(/^\*\*CONTENDED — no ratio printed: \d+ of \d+ capacity steps stayed over the contention limits/);
    expect(headlineTable(s)).toContain('capacity ratio 3 vs 1: **withheld (contended run)**');
    expect(headlineTable(s)).not.toMatch(/capacity ratio 3 vs 1: \*\*\d/);
  });

  it('fits the Universal Scalability Law to three or more replica counts and names what saturates at the top', () => {
    const curve: Runs = {
      replicas: [run(1, [120], [150]), run(2, [230], [290]), run(3, [330], [420]), run(4, [410], [520]), run(6, [480], [600])],
      baseline: null,
    };
    const s = buildSummary({ ...meta, repeats: 1 }, curve);
    expect(s.scaling.points.map((p) => p.replicas)).toEqual([1, 2, 3, 4, 6]);
    const fit = s.scaling.usl_capacity!;
    expect(fit.sigma + fit.kappa).toBeGreaterThan(0);
    expect(fit.r2).toBeGreaterThan(0.95);
    expect(fit.peakReplicas).toBeGreaterThan(6);
    expect(renderMarkdown(s, meta)).toMatch(
      /- Capacity at the objective: λ = [\d.]+ rps per replica, σ \(contention\) = [\d.]+, κ \(coherency\) = [\d.]+, predicted peak \d+ rps at [\d.]+ replicas; R² = 0\.99\d/,
    );
    expect(s.scaling.top).toMatchObject({ replicas: 6, offered_rps: 600 });
    expect(buildSummary(meta, runs).scaling.usl_capacity).toBeNull();
  });

  it('tells a machine that ran out of cores from replicas at their quota', () => {
    expect(saturation({ 'api-1': 24, 'api-2': 24.5, nginx: 20, kafka: 40 }, 5, 25, 2)).toMatchObject({
      api_replicas_at_quota: true,
      machine_saturated: false,
    });
    expect(saturation({ 'api-1': 24, 'api-2': 24.5, nginx: 60, kafka: 70 }, 10, 25, 2).verdict).toMatch(
      /^the machine's 2 cores \(188.5 % of 200 % busy; kafka 70 %/,
    );
  });

  it("takes the closed model from the median repeat, whole, so Little's law holds within it", () => {
    const r = run(1, [100], [120]);
    r.closed = [
      { rps: 300, p50Ms: 8, meanMs: 16.6, p99Ms: 90, connections: 5 },
      { rps: 800, p50Ms: 3, meanMs: 6.25, p99Ms: 30, connections: 5 },
      { rps: 700, p50Ms: 4, meanMs: 7.1, p99Ms: 40, connections: 5 },
    ];
    expect(buildSummary(meta, { replicas: [r], baseline: null }).results['1'].closed_model).toEqual({
      connections: 5,
      rps: 700,
      p50_ms: 4,
      mean_ms: 7.1,
      p99_ms: 40,
      rps_runs: [300, 800, 700],
    });
  });

  it('reports integrity as exact only when nothing was lost or duplicated', () => {
    expect(summary.integrity_exact).toBe(true);
    expect(buildSummary(meta, { replicas: [run(1, [100], [120], 3)], baseline: null }).integrity_exact).toBe(false);
  });

  it('heads the report of a run that stopped early with why, and still reports what it measured', () => {
    const s = buildSummary(
      { ...meta, stoppedBy: 'Redis holds 192 MB of its 192 MB maxmemory (100 %)' },
      { replicas: [run(1, [100, 110, 120, 110, 100], [150, 150, 150, 150, 150])], baseline: null },
    );
    expect(headline(s)).toMatch(
      /^\*\*INCOMPLETE — the run stopped early: Redis holds 192 MB of its 192 MB maxmemory \(100 %\)\. 1 replica\(s\): 110 rps at the objective/,
    );
    expect(headline(buildSummary(meta, runs))).not.toContain('INCOMPLETE');
  });

  it('says a contended run that also stopped early is both', () => {
    const contended: Runs = { replicas: [run(1, [100], [150], 0, clean(45))], baseline: null };
    const s = buildSummary({ ...meta, stoppedBy: 'interrupted by SIGINT' }, contended);
    expect(headline(s)).toMatch(/^\*\*INCOMPLETE — the run stopped early: interrupted by SIGINT\. CONTENDED — no ratio printed: /);
  });

  it('says integrity was not checked, not that ratings were lost, when the consumer could not write', () => {
    const stuck = run(1, [100], [120]);
    stuck.integrity = {
      accepted: 1000,
      aggregated: 0,
      lost: 0,
      duplicated: 0,
      waiting: 1000,
      waitingReason: 'consumer: Redis refused the last batch: OOM',
    };
    const s = buildSummary(meta, { replicas: [stuck], baseline: null });
    expect(s.integrity_exact).toBe(false);
    const text = renderMarkdown(s, meta);
    expect(text).toContain('1000 / 0 / 0 (+1000 waiting) / 0');
    expect(text).toContain('Integrity exact in every run: **NOT CHECKED**');
    expect(text).toMatch(/1000 not aggregated while the consumer reported not ready \(consumer: Redis refused the last batch: OOM\)/);
  });
});

describe('experiment report', () => {
  const summary = buildSummary(meta, runs);
  const md = renderMarkdown(summary, meta);

  it('names both figures, the interval and the baseline in the headline', () => {
    expect(headline(summary)).toBe(
      '**3 vs 1 replicas at 250m: capacity at p99 ≤ 50 ms ×2.88 (95 % bootstrap interval ' +
        `${summary.capacity_ratio_interval![0]}–${summary.capacity_ratio_interval![1]}), sustainable throughput ×2.87 (95 % bootstrap interval ${summary.sustainable_ratio_interval![0]}–${summary.sustainable_ratio_interval![1]}). ` +
        '1 replica(s): 120 rps at the objective, 150 rps sustainable. 3 replica(s): 345 rps at the objective, 430 rps sustainable. ' +
        'Bare Fastify on the same quota: 240 / 300 rps — app/baseline 0.5 at the objective, 0.5 sustainable.**',
    );
    expect(headlineTable(summary)).toMatch(/^\| 1 \| 120 \(120–125\), CV 6\.1 % \| 150 \(150–150\), CV 3\.7 % \|/m);
    expect(headlineTable(summary)).toContain('| bare Fastify (baseline, 1) | 240 (240–245)');
  });

  it('explains the two figures, the tail and the baseline', () => {
    expect(md).toContain(headlineTable(summary));
    expect(md).toContain('**Sustainable throughput** is the highest rate served within 2 % of the offered rate');
    expect(md).toContain('120 rps at the objective (runs 120, 110, 130, 120, 125; limited by latency), 150 rps sustainable');
    expect(md).toContain(
      'Tail at or below capacity: 7 slow or failed request(s) in 1 episode(s) — CFS throttling of the answering replica: 1 episode(s), 7 request(s)',
    );
    expect(md).toContain('Isolated failures (a rate that failed while higher ones passed — not taken as the limit): 96 rps.');
    expect(md).toContain(
      'at 96 rps: 7 request(s) up to 96 ms over 90 ms on api-1 7 — CFS throttling of the answering replica (throttled api-1 72 ms)',
    );
    expect(md).toContain(
      'One API replica reaches 0.5 of its capacity at the objective (120 vs 240 rps) and 0.5 of its sustainable throughput (150 vs 300 rps)',
    );
    expect(md).toContain('no Universal Scalability Law fit — it needs at least three replica counts');
    expect(md).toContain('CPU per request above idle at 60 rps: api-1 0.5 ms, kafka 0.5 ms, nginx 0.1 ms, api_total 0.5 ms');
    expect(md).toContain('5 / 1.01 s = 4.95 rps');
    expect(md).toContain('This run: 105 steps, 0 repeated, 0 still contended');
  });

  it('says loudly when the CPU limits were not applied', () => {
    const text = renderMarkdown(buildSummary({ ...meta, cgroups: false }, runs), {
      ...meta,
      cgroups: false,
      cgroupProblem: 'cgroups not writable here',
    });
    expect(text).toContain('**NOT APPLIED — cgroups not writable here.');
  });

  it('flags a load generator above 80 % of a core', () => {
    const busy = run(1, [100], [120]);
    busy.open[0].generatorCpuPct = 93;
    const s = buildSummary(meta, { replicas: [busy], baseline: null });
    expect(s.results['1']).toMatchObject({ generator_cpu_pct: 93, generator_flagged: true });
    expect(renderMarkdown(s, meta)).toContain('FLAGGED');
  });

  it('renders a self-contained HTML report with its charts, the scaling curve among them', () => {
    const html = renderHtml(summary, meta, runs, md);
    expect(html.match(/<svg /g)).toHaveLength(6);
    expect(html).toContain('Throughput served vs offered load');
    expect(html).toContain('Capacity against replicas');
    expect(html).toContain('Per-replica share of requests');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).toContain('<table>');
  });

  it('escapes text in charts and Markdown, and nests second-level bullets', () => {
    expect(barChart('<x>', 'ms', [{ label: 'a&b', bars: [{ name: 'p99', value: 1 }] }])).toContain('&lt;x&gt;');
    expect(markdownToHtml('- **bold** `code` <tag>')).toBe('<ul>\n<li><strong>bold</strong> <code>code</code> &lt;tag&gt;</li>\n</ul>');
    expect(markdownToHtml('- a\n  - b\n  - c\n- d')).toBe('<ul>\n<li>a</li>\n<ul>\n<li>b</li>\n<li>c</li>\n</ul>\n<li>d</li>\n</ul>');
  });

  it('tabulates the CPU-limit study from several runs, lowest quota first', () => {
    const at = (limit: string, m: ExperimentMeta = meta) => buildSummary({ ...m, cpuLimitPerReplica: limit }, runs);
    const table = quotaStudyTable([at('1000m'), at('250m'), at('500m')]);
    const lines = table.split('\n');
    expect(lines[0]).toContain('CPU limit per replica');
    expect(lines.slice(2).map((l) => l.split(' | ')[0])).toEqual(['| 250m', '| 500m', '| 1000m']);
    expect(lines[2]).toContain('| 120 / 150 | 345 / 430 | 2.88 [');
  });
});

import { PairedBlock, PairedRuns } from './paired-types';
import { pairedHeadline, renderPairedHtml, renderPairedMarkdown } from './paired-report';
import { buildPairedSummary, PairedMeta } from './paired-summary';
import { loadDefinitions } from './definitions';

const defs = loadDefinitions(false);
const meta: PairedMeta = {
  startedAt: '2026-12-07T03:00:00.000Z',
  quick: false,
  driver: 'vegeta',
  target: 'local',
  cpuLimitPerReplica: '250m',
  cgroups: true,
  cgroupProblem: null,
  machine: { cpus: 2, model: 'test', memoryGiB: 24 },
  valuesFile: 'charts/rate/ci/experiment-values.yaml',
  definitions: {
    objective: defs.objective,
    rounds: defs.rounds,
    headroom: defs.headroom,
    contention: defs.contention,
    sustainable: defs.sustainable,
  },
  stoppedBy: null,
};

let index = 0;
function block(arm: string, round: number, rate: number, bad: number, over: Partial<PairedBlock> = {}): PairedBlock {
  const requests = rate * 5;
  return {
    index: ++index,
    phase: 'round',
    round,
    arm,
    rate,
    seconds: 5,
    equalLoad: false,
    requests,
    bad,
    errors: 0,
    accepted: requests,
    sendLagMaxMs: 1,
    sentRate: rate,
    throughput: rate,
    p50Ms: 2,
    p99Ms: 10,
    contention: {
      seconds: 5,
      outsideCpuPct: 1,
      generatorCpuPct: 20,
      stackCpuPct: 90,
      harnessCpuPct: 2,
      interruptsCpuPct: 2,
      stealCpuPct: 1,
      machineIdlePct: 40,
    },
    contended: null,
    stalls: { episodes: bad > 0 ? 1 : 0, slowRequests: bad, byCause: bad > 0 ? { cfs_throttling: { episodes: 1, requests: bad } } : {} },
    cpuPct: { 'api-1': 24, kafka: 30, redis: 5, consumer: 10, generator: 20 },
    throttledPct: { 'api-1': 8 },
    episodes: [],
    subjects: [`s${index}`],
    aggregated: requests,
    ...over,
  };
}

function runs(voidRounds: number[] = [], lostIn: number | null = null): PairedRuns {
  const blocks = [1, 2, 3, 4, 5, 6].flatMap((r) => [
    block('1', r, 100, 0, { equalLoad: true, latenciesMs: [2, 3, 4, 60] }),
    block('1', r, 150, 3),
    block('1', r, 200, 30),
    block('3', r, 100, 0, { equalLoad: true, latenciesMs: [2, 3, 4, 5] }),
    block('3', r, 450, 9),
    block('3', r, 600, 90, { contended: voidRounds.includes(r) ? 'hypervisor steal 30 % of a core > 20 %' : null }),
  ]);
  if (lostIn !== null) blocks[lostIn].aggregated -= 1;
  return {
    kind: 'paired',
    seed: 5,
    aa: false,
    arms: [
      { key: '1', replicas: 1, url: 'http://127.0.0.1:8161' },
      { key: '3', replicas: 3, url: 'http://127.0.0.1:8080' },
    ],
    expected: { '1': 170, '3': 500 },
    ladders: { '1': [150, 200], '3': [450, 600] },
    equalLoadRate: 100,
    blocks,
    voidRounds,
    freshnessMs: [20, 30, 40],
    freshness: { accepted: 3, aggregated: 3 },
    replicaShare: { '1': { 'api-1': 1 }, '3': { 'api-1': 0.334, 'api-2': 0.333, 'api-3': 0.333 } },
    durationS: 600,
    stoppedBy: null,
  };
}

describe('the paired summary and report', () => {
  it('reports R with its interval, C per arm, equal-load latency and exact integrity under the kept keys', () => {
    const s = buildPairedSummary(meta, runs());
    // Arm 1: 0.4 % at 150, 3 % at 200 → 1 % at 161.5. Arm 3: 0.4 % at 450, 3 % at 600 → 1 % at 484.6.
    expect(s.results['1'].capacity_rps).toBe(162);
    expect(s.results['3'].capacity_rps).toBe(485);
    expect(s.capacity_ratio_3_vs_1).toBe(3);
    expect(s.ratio_interval).toEqual([expect.any(Number), expect.any(Number)]);
    expect(s.capacity_ratio_interval).toEqual(s.ratio_interval);
    expect(s.results['1']).toMatchObject({ offered_rps: 100, p99_ms: expect.any(Number), lost: 0, duplicated: 0 });
    expect(s.results['1'].p99_ms).toBeGreaterThan(s.results['3'].p99_ms);
    expect(s.headroom).toEqual({
      verdict: 'replica-bound',
      machine_idle_pct_min: 40,
      saturated: ['API replicas (throttled in 8 % of periods)'],
    });
    expect(s.saturation_rps).toEqual({ '1': 0, '3': 0 });
    expect(s.integrity_exact).toBe(true);
    expect(s.rounds).toHaveLength(6);
    expect(s.duration_s).toBe(600);
    expect(s.target).toBe('local');
    // Arm 1: one episode in each of its 12 slow blocks over 18 blocks of 5 s.
    expect(s.results['1'].stalls).toMatchObject({
      episodes_per_min: 8,
      slow_requests: 198,
      by_cause: { cfs_throttling: { episodes: 12, requests: 198 } },
    });
  });

  it('pools only clean rounds and withholds R when fewer than the minimum are left', () => {
    const some = buildPairedSummary(meta, runs([2]));
    expect(some.contention).toMatchObject({ flagged: false, void_rounds: [2], clean_rounds: 5 });
    const most = buildPairedSummary(meta, runs([1, 2, 3]));
    expect(most.contention.flagged).toBe(true);
    expect(most.capacity_ratio_3_vs_1).toBeNull();
    expect(pairedHeadline(most, runs([1, 2, 3]), { min_clean_rounds: 4, interval_goal: 0.1 })).toContain(
      '**CONTENDED — no ratio printed**: 3 clean round(s), at least 4 needed',
    );
  });

  it('says whether the interval makes R a figure: within ±10 % of R, and for an A/A run around 1', () => {
    const r = runs();
    const s = buildPairedSummary(meta, r);
    const goal = meta.definitions.rounds;
    expect(pairedHeadline({ ...s, capacity_ratio_3_vs_1: 2.74, ratio_interval: [1.75, 4.01] }, r, goal)).toContain(
      '(95 % interval 1.75–4.01, −36 %/+46 % of R: **wider than ±10 %**: not a reproducible figure)',
    );
    expect(pairedHeadline({ ...s, capacity_ratio_3_vs_1: 3, ratio_interval: [2.8, 3.2] }, r, goal)).toContain(
      '−7 %/+7 % of R: within ±10 %',
    );
    const aa = { ...r, aa: true };
    expect(pairedHeadline({ ...s, aa_ratio: 0.71, ratio_interval: [0.62, 1.04] }, aa, goal)).toContain(
      '(95 % interval 0.62–1.04, contains 1)',
    );
    expect(pairedHeadline({ ...s, aa_ratio: 0.7, ratio_interval: [0.6, 0.9] }, aa, goal)).toContain(', **excludes 1**');
  });

  it('counts a block whose ratings did not all arrive as a loss, whatever the totals', () => {
    const s = buildPairedSummary(meta, runs([], 1));
    expect(s.results['1'].lost).toBe(1);
    expect(s.results['1'].blocks_with_loss).toBe(1);
    expect(s.integrity_exact).toBe(false);
  });

  it('renders report.md led by R and report.html with the share chart (log axis, the budget line, both arms)', () => {
    const r = runs();
    const s = buildPairedSummary(meta, r);
    const markdown = renderPairedMarkdown(s, r, meta);
    expect(markdown.split('\n')[2]).toMatch(
      /^\*\*R = 3\*\* \(95 % interval 3–3, −0 %\/\+0 % of R: within ±10 %\), 3 replicas vs 1 replica at 250m CPU each/,
    );
    const html = renderPairedHtml(s, r, meta, markdown);
    expect(html).toContain('<svg');
    expect(html).toContain('(log scale)');
    expect(html).toContain('1 %</text>');
    expect(html).toContain('#4e79a7');
    expect(html).toContain('#f28e2b');
  });
});

import { Definitions } from './definitions';
import { ExperimentMeta } from './experiment-types';
import { BlockReading, Headroom, headroomVerdict } from './headroom';
import { PairedBlock, PairedRuns } from './paired-types';
import { ArmEstimate, CurvePoint, pairedEstimate } from './slow-share';
import { median, quantile, round } from './statistics';
import { mergeStallSummaries } from './stalls';

/** What a paired run's report and summary.json need besides the measurements. */
export type PairedMeta = Pick<
  ExperimentMeta,
  'startedAt' | 'quick' | 'driver' | 'target' | 'cpuLimitPerReplica' | 'cgroups' | 'cgroupProblem' | 'machine' | 'valuesFile'
> & {
  definitions: Pick<Definitions, 'objective' | 'rounds' | 'headroom' | 'contention' | 'sustainable'>;
  stoppedBy: string | null;
};

const roundBlocks = (runs: PairedRuns) => runs.blocks.filter((b) => b.phase === 'round' && !runs.voidRounds.includes(b.round));
const reading = (b: PairedBlock): BlockReading => ({
  rate: b.rate,
  machineIdlePct: b.contention.machineIdlePct,
  stealCpuPct: b.contention.stealCpuPct,
  cpuPct: b.cpuPct,
  throttledPct: b.throttledPct,
});

/** Saturation: the most an arm served in its saturation ramp; sustainable: the highest rate served within tolerance. */
function saturationOf(runs: PairedRuns, arm: string, tolerance: number, maxErrorRate: number) {
  const steps = runs.blocks.filter((b) => b.arm === arm && b.phase !== 'ramp');
  const served = steps.filter((b) => b.throughput >= (1 - tolerance) * b.rate && b.errors / Math.max(1, b.requests) < maxErrorRate);
  return {
    saturation: Math.max(0, ...steps.filter((b) => b.phase === 'saturation').map((b) => b.throughput)),
    sustainable: Math.max(0, ...served.map((b) => b.rate)),
  };
}

function armResult(runs: PairedRuns, arm: string, meta: PairedMeta, e: ArmEstimate, headroom: Headroom) {
  const d = meta.definitions;
  const mine = runs.blocks.filter((b) => b.arm === arm);
  const rounds = roundBlocks(runs).filter((b) => b.arm === arm);
  const latencies = rounds.filter((b) => b.equalLoad).flatMap((b) => b.latenciesMs ?? []);
  const accepted = mine.reduce((a, b) => a + b.accepted, 0);
  const aggregated = mine.reduce((a, b) => a + Math.max(0, b.aggregated), 0);
  const lostBlocks = mine.filter((b) => b.aggregated < b.accepted).length;
  const { saturation, sustainable } = saturationOf(runs, arm, d.sustainable.tolerance, d.objective.max_error_rate);
  const stalls = mergeStallSummaries(rounds.map((b) => b.stalls ?? { episodes: 0, slowRequests: 0, byCause: {} }));
  const minutes = rounds.reduce((a, b) => a + b.seconds, 0) / 60;
  return {
    capacity_rps: e.crossing.rps === null ? 0 : round(e.crossing.rps, 0),
    capacity_censored: e.crossing.censored,
    capacity_interval: e.interval ? (e.interval.map((v) => round(v, 0)) as [number, number]) : null,
    capacity_cv: e.cv === null ? null : round(e.cv, 3),
    curve: e.curve.map((p: CurvePoint) => ({
      rate: p.rate,
      requests: p.requests,
      bad: p.bad,
      share: round(p.share, 5),
      fitted: round(p.fitted, 5),
    })),
    p50_ms: round(quantile(latencies, 0.5), 2),
    p99_ms: round(quantile(latencies, 0.99), 2),
    offered_rps: runs.equalLoadRate,
    accepted,
    aggregated,
    lost: mine.reduce((a, b) => a + Math.max(0, b.accepted - b.aggregated), 0),
    duplicated: mine.reduce((a, b) => a + Math.max(0, b.aggregated - b.accepted), 0),
    blocks_with_loss: lostBlocks,
    replica_share: runs.replicaShare[arm] ?? {},
    generator_cpu_pct: Math.max(0, ...mine.filter((b) => b.phase === 'round').map((b) => b.contention.generatorCpuPct)),
    sustainable_rps: sustainable,
    saturation_rps: saturation,
    headroom,
    stalls: {
      episodes_per_min: minutes > 0 ? round(stalls.episodes / minutes, 1) : 0,
      slow_requests: stalls.slowRequests,
      by_cause: stalls.byCause,
      worst_episodes: rounds
        .flatMap((b) => b.episodes.map((e) => ({ rate: b.rate, round: b.round, ...e })))
        .sort((a, b) => b.requests - a.requests)
        .slice(0, 5),
    },
  };
}

export type PairedArmResult = ReturnType<typeof armResult>;

/** Per round: its order and, per block, what the estimator pooled. */
function roundsOf(runs: PairedRuns) {
  const numbers = [...new Set(runs.blocks.filter((b) => b.phase === 'round').map((b) => b.round))];
  return numbers.map((n) => {
    const blocks = runs.blocks.filter((b) => b.phase === 'round' && b.round === n);
    return {
      round: n,
      contended: runs.voidRounds.includes(n),
      blocks: blocks.map((b) => ({
        arm: b.arm,
        rate: b.rate,
        requests: b.requests,
        slow_share: round(b.bad / Math.max(1, b.requests), 5),
        errors: b.errors,
        contended: b.contended,
      })),
    };
  });
}

/** The two arms the ratio compares: 3 over 1 when both ran, else the largest over the smallest. */
export function ratioArms(runs: PairedRuns): [string, string] {
  const keys = runs.arms.map((a) => a.key);
  if (keys.includes('3') && keys.includes('1')) return ['3', '1'];
  return [keys[keys.length - 1], keys[0]];
}

export function buildPairedSummary(meta: PairedMeta, runs: PairedRuns) {
  const d = meta.definitions;
  const [num, den] = ratioArms(runs);
  const clean = roundBlocks(runs);
  const estimate = pairedEstimate(clean, num, den, d.rounds.budget, runs.seed);
  const limits = {
    machineIdlePct: d.headroom.machine_idle_pct,
    componentPct: d.headroom.component_pct,
    throttledPct: d.headroom.throttled_pct,
    stealPct: d.contention.steal_pct,
  };
  // Arms besides the ratio's two (--replicas 1,2,3,4,6) are estimated against the same denominator.
  const armEstimate = (key: string) => estimate.arms[key] ?? pairedEstimate(clean, key, den, d.rounds.budget, runs.seed).arms[key];
  const results = Object.fromEntries(
    runs.arms.map((arm) => {
      const e = armEstimate(arm.key);
      const headroom = headroomVerdict(clean.filter((b) => b.arm === arm.key).map(reading), e.crossing.rps, limits);
      return [arm.key, armResult(runs, arm.key, meta, e, headroom)];
    }),
  );
  const cleanRounds = estimate.rounds.length;
  // Worst readings over every round's blocks, void ones included: they say why rounds were voided.
  const all = runs.blocks.filter((b) => b.phase === 'round');
  const contention = {
    outside_cpu_pct_max: Math.max(0, ...all.map((b) => b.contention.outsideCpuPct)),
    generator_cpu_pct_max: Math.max(0, ...all.map((b) => b.contention.generatorCpuPct)),
    steal_cpu_pct_max: Math.max(0, ...all.map((b) => b.contention.stealCpuPct)),
    flagged: cleanRounds < d.rounds.min_clean_rounds,
    void_rounds: runs.voidRounds,
    clean_rounds: cleanRounds,
    limits: {
      outside_cpu_pct: d.contention.outside_cpu_pct,
      generator_cpu_pct: d.contention.generator_cpu_pct,
      steal_cpu_pct: d.contention.steal_pct,
    },
  };
  const ratio = contention.flagged || estimate.ratio === null ? null : round(estimate.ratio, 2);
  const interval = ratio !== null && estimate.ratioInterval ? (estimate.ratioInterval.map((v) => round(v, 2)) as [number, number]) : null;
  const head = results[num].headroom;
  const lost = Object.values(results).reduce((a, r) => a + r.lost + r.duplicated, 0);
  return {
    cpu_limit_per_replica: meta.cpuLimitPerReplica,
    cgroups: meta.cgroups,
    quick: meta.quick,
    driver: meta.driver,
    target: meta.target,
    aa: runs.aa,
    seed: runs.seed,
    ratio_arms: [num, den],
    results,
    capacity_ratio_3_vs_1: runs.aa ? null : ratio,
    aa_ratio: runs.aa ? ratio : null,
    ratio_interval: interval,
    capacity_ratio_interval: interval,
    censored_resamples: round(estimate.censoredResamples, 3),
    saturation_rps: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.saturation_rps])),
    headroom: { verdict: head.verdict, machine_idle_pct_min: head.machine_idle_pct_min, saturated: head.saturated },
    rounds: roundsOf(runs),
    contention,
    integrity_exact: lost === 0 && runs.freshness.aggregated === runs.freshness.accepted,
    freshness_ms: runs.freshnessMs.length
      ? { p50: round(median(runs.freshnessMs)), p99: round(quantile(runs.freshnessMs, 0.99)), samples: runs.freshnessMs.length }
      : null,
    baseline: null,
    duration_s: runs.durationS,
    expected_crossing_rps: runs.expected,
    ladders: runs.ladders,
    stopped_by: meta.stoppedBy,
  };
}

export type PairedSummary = ReturnType<typeof buildPairedSummary>;

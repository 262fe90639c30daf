import { CapacityRun } from './capacity-measurement';
import { contentionSummary } from './contention';
import { BaselineRun, ExperimentMeta, ReplicaRun, Runs } from './experiment-types';
import { bootstrapRatioInterval, coefficientOfVariation, interquartileRange, median, round } from './statistics';
import { mergeStallSummaries, StallSummary } from './stalls';
import { fitUsl, UslFit } from './usl';

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;

/** Median, interquartile range and coefficient of variation of one figure over the repeats. */
export function spread(values: number[]) {
  const [q1, q3] = interquartileRange(values);
  return {
    median: round(median(values)),
    iqr: [round(q1), round(q3)] as [number, number],
    cv: round(coefficientOfVariation(values), 3),
    runs: values,
  };
}

/** The repeat with the median capacity, whole: its steps show what happened at and around it. */
function medianSweep(capacity: CapacityRun) {
  const sorted = [...capacity.sweeps].sort((a, b) => a.capacity.rps - b.capacity.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function guardedSteps(capacity: CapacityRun) {
  return capacity.sweeps.flatMap((s) => s.steps);
}

/** Stalls at or below the capacity of their sweep (the tail that costs capacity), and isolated failures. */
function stallsOf(capacity: CapacityRun) {
  const atOrBelow: StallSummary[] = [];
  const above: StallSummary[] = [];
  for (const s of capacity.sweeps) for (const step of s.steps) (step.offered <= s.capacity.rps ? atOrBelow : above).push(step.stalls);
  return {
    at_or_below_capacity: mergeStallSummaries(atOrBelow),
    above_capacity: mergeStallSummaries(above),
    isolated_failures: capacity.sweeps.map((s) => s.capacity.isolatedFailures),
    worst_episodes: capacity.sweeps
      .flatMap((s) =>
        s.steps
          .filter((step) => step.offered <= s.capacity.rps)
          .flatMap((step) => step.episodes.map((e) => ({ offered: step.offered, ...e }))),
      )
      .sort((a, b) => b.requests - a.requests)
      .slice(0, 5),
  };
}

function capacityFigures(capacity: CapacityRun) {
  const sweep = medianSweep(capacity);
  const atCapacity = sweep?.steps.find((s) => s.offered === sweep.capacity.rps);
  const firstFailure = sweep?.steps
    .filter((s) => s.offered > sweep.capacity.rps && !s.verdict.meetsObjective)
    .sort((a, b) => a.offered - b.offered)[0];
  const objective = spread(capacity.sweeps.map((s) => s.capacity.rps));
  const sustainable = spread(capacity.sweeps.map((s) => s.sustainable.rps));
  return {
    capacity_rps: objective.median,
    capacity_rps_runs: objective.runs,
    capacity_iqr: objective.iqr,
    capacity_cv: objective.cv,
    capacity_limited_by: capacity.sweeps.map((s) => s.capacity.limitedBy),
    sustainable_rps: sustainable.median,
    sustainable_rps_runs: sustainable.runs,
    sustainable_iqr: sustainable.iqr,
    sustainable_cv: sustainable.cv,
    sustainable_reached: capacity.sweeps.every((s) => s.sustainable.reached),
    located_rps: capacity.located.estimate,
    cpu_pct_at_capacity: atCapacity?.cpuPct ?? {},
    throttled_periods_pct: { atCapacity: atCapacity?.throttledPct ?? {}, atFailure: firstFailure?.throttledPct ?? {} },
    stalls: stallsOf(capacity),
  };
}

/** CPU per request above idle, ms: (CPU at the open load − idle CPU) / offered rate. */
export function cpuPerRequestMs(loaded: Record<string, number>, idle: Record<string, number>, rate: number): Record<string, number> {
  const result: Record<string, number> = {};
  if (rate <= 0) return result;
  for (const [name, pct] of Object.entries(loaded)) {
    if (name === 'generator' || idle[name] === undefined) continue;
    result[name] = round(((pct - idle[name]) * 10) / rate, 3);
  }
  const apis = Object.keys(result).filter((k) => k.startsWith('api-'));
  if (apis.length)
    result.api_total = round(
      apis.reduce((sum, k) => sum + result[k], 0),
      3,
    );
  return result;
}

function replicaResult(meta: ExperimentMeta, run: ReplicaRun) {
  const fresh = [...run.freshnessMs].sort((a, b) => a - b);
  const generatorCpu = run.open.map((o) => o.generatorCpuPct);
  const openCpu = run.open[Math.floor((run.open.length - 1) / 2)]?.cpuPct ?? {};
  const closedSorted = [...run.closed].sort((a, b) => a.rps - b.rps);
  const closedMid = closedSorted[Math.floor((closedSorted.length - 1) / 2)];
  const guard = contentionSummary(guardedSteps(run.capacity), {
    outsideCpuPct: meta.contentionLimits.outsideCpuPct,
    generatorCpuPct: meta.contentionLimits.generatorCpuPct,
  });
  return {
    ...capacityFigures(run.capacity),
    p50_ms: round(median(run.open.map((o) => o.p50Ms)), 2),
    p99_ms: round(median(run.open.map((o) => o.p99Ms)), 2),
    p99_ms_runs: run.open.map((o) => o.p99Ms),
    offered_rps: meta.openRate,
    error_rate: median(run.open.map((o) => o.errorRate)),
    accepted: run.integrity.accepted,
    aggregated: run.integrity.aggregated,
    lost: run.integrity.lost,
    duplicated: run.integrity.duplicated,
    // Runs recorded before the consumer's readiness was asked have no waiting count.
    waiting: run.integrity.waiting ?? 0,
    waiting_reason: run.integrity.waitingReason ?? null,
    replica_share: run.replicaShare,
    generator_cpu_pct: round(Math.max(0, ...generatorCpu)),
    generator_flagged: generatorCpu.some((c) => c > meta.contentionLimits.generatorCpuPct),
    idle_cpu_pct: run.idleCpuPct,
    cpu_pct_at_open_load: openCpu,
    cpu_ms_per_request: cpuPerRequestMs(openCpu, run.idleCpuPct, meta.openRate),
    // Little's law holds within one run only: the closed model comes from the median repeat, whole.
    closed_model: {
      connections: closedMid?.connections ?? 5,
      rps: closedMid?.rps ?? 0,
      p50_ms: closedMid?.p50Ms ?? 0,
      mean_ms: closedMid?.meanMs ?? 0,
      p99_ms: closedMid?.p99Ms ?? 0,
      rps_runs: run.closed.map((c) => c.rps),
    },
    freshness_ms: { p50: pct(fresh, 50), p99: pct(fresh, 99), max: fresh[fresh.length - 1] ?? 0, samples: fresh.length },
    capacity_traffic: run.capacityTraffic,
    contention: {
      outside_cpu_pct_max: guard.outside_cpu_pct_max,
      generator_cpu_pct_max: guard.generator_cpu_pct_max,
      contended_steps: guard.contended_steps,
      repeated_steps: guard.repeated_steps,
      steps: guard.steps,
    },
  };
}

export type ReplicaResult = ReturnType<typeof replicaResult>;

function baselineResult(run: BaselineRun) {
  return { ...capacityFigures(run.capacity), idle_cpu_pct: run.idleCpuPct, cgroups: run.cgroups };
}

/** What saturates at the highest replica count: per-component CPU at its sustainable limit vs quota and cores. */
export function saturation(cpu: Record<string, number>, outsidePct: number, limitPct: number, cores: number) {
  const entries = Object.entries(cpu).sort((a, b) => b[1] - a[1]);
  const apis = entries.filter(([name]) => name.startsWith('api-'));
  const machinePct = round(entries.reduce((sum, [, v]) => sum + v, 0) + outsidePct);
  const apisAtQuota = apis.length > 0 && apis.every(([, v]) => v >= 0.85 * limitPct);
  const machineSaturated = machinePct >= 0.85 * cores * 100;
  const busiest = entries
    .slice(0, 4)
    .map(([name, v]) => `${name} ${v} %`)
    .join(', ');
  let verdict: string;
  if (machineSaturated) verdict = `the machine's ${cores} cores (${machinePct} % of ${cores * 100} % busy; ${busiest})`;
  else if (apisAtQuota)
    verdict = `the API replicas, each at its ${limitPct} % quota (${busiest}; machine ${machinePct} % of ${cores * 100} %)`;
  else verdict = entries.length ? `no single component: busiest ${busiest}; machine ${machinePct} % of ${cores * 100} %` : 'not measured';
  return { machine_cpu_pct: machinePct, api_replicas_at_quota: apisAtQuota, machine_saturated: machineSaturated, verdict };
}

function scaling(meta: ExperimentMeta, runs: ReplicaRun[], results: Record<string, ReplicaResult>) {
  const points = runs.map((r) => ({
    replicas: r.replicas,
    capacity_rps: results[String(r.replicas)].capacity_rps,
    sustainable_rps: results[String(r.replicas)].sustainable_rps,
  }));
  const usl = (key: 'capacity_rps' | 'sustainable_rps'): UslFit | null =>
    fitUsl(points.map((p) => ({ replicas: p.replicas, rps: p[key] })));
  const top = runs[runs.length - 1];
  let topSaturation = null;
  if (top) {
    const sweep = medianSweep(top.capacity);
    // At the sustainable limit the busiest resource is working flat out.
    const step =
      sweep?.steps.find((s) => s.offered === sweep.sustainable.rps) ?? sweep?.steps.find((s) => s.offered === sweep.capacity.rps);
    const limitPct = Number(meta.cpuLimitPerReplica.replace('m', '')) / 10;
    topSaturation = step
      ? {
          replicas: top.replicas,
          offered_rps: step.offered,
          ...saturation(step.cpuPct, step.contention.outsideCpuPct + step.contention.interruptsCpuPct, limitPct, meta.machine.cpus),
        }
      : null;
  }
  return { points, usl_capacity: usl('capacity_rps'), usl_sustainable: usl('sustainable_rps'), top: topSaturation };
}

const ratioOf = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);

/** summary.json: DESIGN.md's keys, the added ones (sustainable, spread, baseline, interval, contention) and context. */
export function buildSummary(meta: ExperimentMeta, runs: Runs) {
  const results: Record<string, ReplicaResult> = {};
  for (const run of runs.replicas) results[String(run.replicas)] = replicaResult(meta, run);
  const baseline = runs.baseline ? baselineResult(runs.baseline) : null;
  const limits = { outsideCpuPct: meta.contentionLimits.outsideCpuPct, generatorCpuPct: meta.contentionLimits.generatorCpuPct };
  const allGuarded = [...runs.replicas.map((r) => r.capacity), ...(runs.baseline ? [runs.baseline.capacity] : [])].flatMap(guardedSteps);
  const guard = contentionSummary(allGuarded, limits);
  const one = results['1'];
  const three = results['3'];
  const flagged = guard.flagged;
  const ratio = (key: 'capacity_rps' | 'sustainable_rps') => (one && three && !flagged ? ratioOf(three[key], one[key]) : null);
  const interval = (key: 'capacity_rps_runs' | 'sustainable_rps_runs') => {
    const found = one && three && !flagged ? bootstrapRatioInterval(three[key], one[key]) : null;
    return found ? ([round(found[0], 2), round(found[1], 2)] as [number, number]) : null;
  };
  const ratioRuns = one && three ? three.capacity_rps_runs.map((c, i) => ratioOf(c, one.capacity_rps_runs[i] ?? one.capacity_rps)) : [];
  return {
    cpu_limit_per_replica: meta.cpuLimitPerReplica,
    cgroups: meta.cgroups,
    quick: meta.quick,
    driver: meta.driver,
    target: meta.target,
    started_at: meta.startedAt,
    machine: meta.machine,
    objective: meta.objective,
    sustainable_tolerance: meta.sustainableTolerance,
    repeats: meta.repeats,
    step_duration_s: meta.stepDurationS,
    windows: meta.windows,
    results,
    baseline: baseline ? { capacity_rps: baseline.capacity_rps, sustainable_rps: baseline.sustainable_rps } : null,
    baseline_detail: baseline,
    app_vs_baseline:
      one && baseline
        ? {
            capacity: ratioOf(one.capacity_rps, baseline.capacity_rps),
            sustainable: ratioOf(one.sustainable_rps, baseline.sustainable_rps),
          }
        : null,
    capacity_ratio_3_vs_1: ratio('capacity_rps'),
    capacity_ratio_3_vs_1_runs: ratioRuns,
    capacity_ratio_interval: interval('capacity_rps_runs'),
    sustainable_ratio_3_vs_1: ratio('sustainable_rps'),
    sustainable_ratio_interval: interval('sustainable_rps_runs'),
    scaling: scaling(meta, runs.replicas, results),
    contention: {
      outside_cpu_pct_max: guard.outside_cpu_pct_max,
      generator_cpu_pct_max: guard.generator_cpu_pct_max,
      flagged,
      contended_steps: guard.contended_steps,
      repeated_steps: guard.repeated_steps,
      steps: guard.steps,
      limits: guard.limits,
    },
    stopped_by: meta.stoppedBy ?? null,
    integrity_exact: runs.replicas.every((r) => r.integrity.lost === 0 && r.integrity.duplicated === 0 && !r.integrity.waiting),
    integrity_checked: runs.replicas.every((r) => !r.integrity.waiting),
  };
}

export type Summary = ReturnType<typeof buildSummary>;

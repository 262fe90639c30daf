/**
 * What "capacity" means in this experiment (loadtest/lib/capacity.js is the same definition for
 * k6; loadtest/lib/capacity.spec.ts holds both to the same cases).
 *
 * p99 at 250m is bimodal: a few ms, or tens of ms when one stall (a throttled CFS period, a GC
 * pause, a slow broker ack) lands in the measurement. A definition that stops at the first failing
 * step measures where the first stall happened to land. So each step holds its rate long enough to
 * be judged in several windows, a step meets the objective when the majority of its windows do,
 * and a capacity is a rate above which every swept rate fails — failures below it are recorded as
 * isolated (stalls), not taken as the limit.
 */
export interface Objective {
  p99Ms: number;
  maxErrorRate: number;
}

/** One window of a held step: p99 and errors of the requests sent in it. */
export interface WindowResult {
  requests: number;
  p99Ms: number;
  errorRate: number;
}

/** One held step of the sweep, as measured. */
export interface StepMeasurement {
  offered: number;
  /** Requests per second the generator really sent. */
  sentRate: number;
  /** Successful answers per second, from the first request sent to the last answer received. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
  windows: WindowResult[];
}

export type FailureReason = 'latency' | 'errors' | 'generator';

export interface StepVerdict {
  /** p99 and errors met in the majority of windows, and the generator sent the offered rate. */
  meetsObjective: boolean;
  windowsPassed: number;
  /** Served within the tolerance of the offered rate with errors under the budget, latency aside. */
  sustainable: boolean;
  /** Why the step missed the objective (null when it met it). */
  failure: FailureReason | null;
}

/** The generator must really have offered the rate, or the step says nothing about the service. */
const GENERATOR_SHORTFALL = 0.95;

export function windowPasses(window: WindowResult, objective: Objective): boolean {
  return window.p99Ms <= objective.p99Ms && window.errorRate < objective.maxErrorRate;
}

export function judgeStep(step: StepMeasurement, objective: Objective, tolerance: number): StepVerdict {
  const windows = step.windows.length > 0 ? step.windows : [{ requests: 0, p99Ms: step.p99Ms, errorRate: step.errorRate }];
  const windowsPassed = windows.filter((w) => windowPasses(w, objective)).length;
  const majority = windowsPassed * 2 > windows.length;
  const generatorOk = step.sentRate >= GENERATOR_SHORTFALL * step.offered;
  let failure: FailureReason | null = null;
  if (!generatorOk) failure = 'generator';
  else if (!majority) {
    const errorWindows = windows.filter((w) => w.errorRate >= objective.maxErrorRate).length;
    failure = errorWindows * 2 >= windows.length - windowsPassed && errorWindows > 0 ? 'errors' : 'latency';
  }
  return {
    meetsObjective: failure === null,
    windowsPassed,
    sustainable: step.throughput >= (1 - tolerance) * step.offered && step.errorRate < objective.maxErrorRate,
    failure,
  };
}

export interface CapacityFigure {
  /** Highest swept rate that passed with every higher swept rate failing; 0 when none passed. */
  rps: number;
  /** False when the sweep ended on a passing rate: the figure is then only a lower bound. */
  reached: boolean;
  /** Rates below the figure that failed anyway: isolated failures (stalls), not the limit. */
  isolatedFailures: number[];
}

/** Applies the definition to one sweep: `passes[i]` is the verdict at `rates[i]` (ascending). */
export function capacityFigure(rates: number[], passes: boolean[]): CapacityFigure {
  let firstOfFailingTail = rates.length;
  while (firstOfFailingTail > 0 && !passes[firstOfFailingTail - 1]) firstOfFailingTail--;
  const below = rates.slice(0, firstOfFailingTail);
  return {
    rps: firstOfFailingTail > 0 ? rates[firstOfFailingTail - 1] : 0,
    reached: firstOfFailingTail < rates.length,
    isolatedFailures: below.filter((_, i) => !passes[i]),
  };
}

export type JudgedStep<S extends StepMeasurement = StepMeasurement> = S & { verdict: StepVerdict };

export interface SweepFigures {
  capacity: CapacityFigure & { limitedBy: FailureReason | 'sweep_end' };
  sustainable: CapacityFigure;
}

/** Both figures of one sweep. Steps at the same rate (a retried step) count once: the last one. */
export function sweepFigures(steps: JudgedStep[]): SweepFigures {
  const byRate = new Map<number, JudgedStep>();
  for (const step of steps) byRate.set(step.offered, step);
  const ordered = [...byRate.values()].sort((a, b) => a.offered - b.offered);
  const rates = ordered.map((s) => s.offered);
  const capacity = capacityFigure(
    rates,
    ordered.map((s) => s.verdict.meetsObjective),
  );
  const firstSystematic = ordered.find((s) => s.offered > capacity.rps && !s.verdict.meetsObjective);
  return {
    capacity: { ...capacity, limitedBy: capacity.reached ? (firstSystematic?.verdict.failure ?? 'latency') : 'sweep_end' },
    sustainable: capacityFigure(
      rates,
      ordered.map((s) => s.verdict.sustainable),
    ),
  };
}

/** The sweep has gone past both figures once its last `stopAfter` steps failed both. */
export function sweepDone(steps: JudgedStep[], stopAfter: number): boolean {
  if (steps.length < stopAfter) return false;
  return steps.slice(-stopAfter).every((s) => !s.verdict.meetsObjective && !s.verdict.sustainable);
}

/** The next rate of a geometric sweep: at least one request per second more. */
export function nextRate(rate: number, factor: number): number {
  return Math.max(rate + 1, Math.round(rate * factor));
}

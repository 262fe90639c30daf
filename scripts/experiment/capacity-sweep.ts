import {
  capacityFigure,
  judgeStep,
  JudgedStep,
  nextRate,
  Objective,
  StepMeasurement,
  sweepDone,
  sweepFigures,
  SweepFigures,
} from './capacity-definition';

export interface SweepPlan {
  objective: Objective;
  /** Sustainable throughput: achieved within this fraction of the offered rate. */
  tolerance: number;
  startRate: number;
  /** Geometric factor of the short locating ramp. */
  locateFactor: number;
  /** Geometric factor between the rates of the sweep (its resolution). */
  sweepFactor: number;
  /** The first sweep starts at this fraction of the located capacity, later ones of the first sweep's: to see it pass well below. */
  sweepFrom: number;
  /**
   * Once the objective fails systematically, the sweep skips to this fraction of the located
   * sustainable rate: the rates between fail the objective and are served in full, so holding
   * each of them would only lengthen the run.
   */
  sustainableFrom: number;
  maxRate: number;
  /** Most steps per ramp or sweep, whatever happens. */
  maxSteps: number;
  /** Most steps a sweep extends below its first rate when even that one missed the objective. */
  maxDownSteps: number;
  /** A ramp or sweep ends after this many consecutive steps that failed both figures. */
  stopAfter: number;
}

export type Measure<S extends StepMeasurement> = (rate: number) => Promise<S>;

export interface SweepResult<S extends StepMeasurement> extends SweepFigures {
  steps: JudgedStep<S>[];
}

async function judged<S extends StepMeasurement>(plan: SweepPlan, measure: Measure<S>, rate: number): Promise<JudgedStep<S>> {
  const step = await measure(rate);
  return { ...step, verdict: judgeStep(step, plan.objective, plan.tolerance) };
}

async function ramp<S extends StepMeasurement>(
  plan: SweepPlan,
  first: number,
  factor: number,
  measure: Measure<S>,
  steps: JudgedStep<S>[],
  skipTo = 0,
): Promise<void> {
  let skipped = false;
  for (let rate = first; rate <= plan.maxRate && steps.length < plan.maxSteps;) {
    steps.push(await judged(plan, measure, rate));
    if (sweepDone(steps, plan.stopAfter)) return;
    rate = nextRate(rate, factor);
    if (!skipped && skipTo > rate && objectiveTail(steps, plan.stopAfter)) {
      skipped = true;
      rate = skipTo;
    }
  }
}

function objectiveTail(steps: JudgedStep[], count: number): boolean {
  return steps.length >= count && steps.slice(-count).every((s) => !s.verdict.meetsObjective);
}

/**
 * A short, coarse ramp that only places the sweep: it goes on past the first failure (a stall
 * does not end it) until `stopAfter` steps in a row fail both figures. Returns where the
 * objective was last met before that failing tail (or the start rate when it never was).
 */
export async function locate<S extends StepMeasurement>(
  plan: SweepPlan,
  measure: Measure<S>,
): Promise<{ estimate: number; sustainableEstimate: number; steps: JudgedStep<S>[] }> {
  const steps: JudgedStep<S>[] = [];
  await ramp(plan, plan.startRate, plan.locateFactor, measure, steps);
  const rates = steps.map((s) => s.offered);
  const figure = capacityFigure(
    rates,
    steps.map((s) => s.verdict.meetsObjective),
  );
  const sustainable = capacityFigure(
    rates,
    steps.map((s) => s.verdict.sustainable),
  );
  return { estimate: figure.rps || plan.startRate, sustainableEstimate: sustainable.rps, steps };
}

/** Where the sweep starts for a located capacity. */
export function sweepStart(plan: SweepPlan, estimate: number): number {
  return Math.max(1, Math.round(estimate * plan.sweepFrom));
}

/**
 * Where the sweeps after the first start: the highest rate of the first sweep's grid at or below
 * `sweepFrom` × its capacity. The locating ramp is short and runs on a cold stack, so it can place
 * the first sweep far below the capacity; the rates it skips all passed in the first sweep.
 */
export function laterSweepStart(plan: SweepPlan, first: number, firstCapacity: number): number {
  let rate = first;
  while (nextRate(rate, plan.sweepFactor) <= firstCapacity * plan.sweepFrom) rate = nextRate(rate, plan.sweepFactor);
  return rate;
}

/** Where the sweep resumes after the objective's failing tail, for a located sustainable rate. */
export function sustainableStart(plan: SweepPlan, sustainableEstimate: number): number {
  return Math.round(sustainableEstimate * plan.sustainableFrom);
}

/**
 * One full sweep: every rate from `first` upwards on the geometric grid, held and judged, with
 * no early stop at a failure — only once `stopAfter` rates in a row failed both figures. Once
 * `stopAfter` rates in a row failed the objective, it skips up to `skipTo` (when that is higher).
 * When even the first rate misses the objective, it also extends downwards until a rate meets it.
 */
export async function sweep<S extends StepMeasurement>(
  plan: SweepPlan,
  first: number,
  measure: Measure<S>,
  skipTo = 0,
): Promise<SweepResult<S>> {
  const steps: JudgedStep<S>[] = [];
  await ramp(plan, first, plan.sweepFactor, measure, steps, skipTo);
  let lowest = steps[0];
  for (let extra = 0; lowest && !lowest.verdict.meetsObjective && extra < plan.maxDownSteps; extra++) {
    const rate = Math.floor(lowest.offered / plan.sweepFactor);
    if (rate < 1 || rate >= lowest.offered) break;
    lowest = await judged(plan, measure, rate);
    steps.push(lowest);
  }
  return { steps, ...sweepFigures(steps) };
}

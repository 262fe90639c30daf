/** One measured step: the generator offered `offered` req/s for a fixed time. */
export interface StepResult {
  offered: number;
  achieved: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
}

export interface Objective {
  p99Ms: number;
  maxErrorRate: number;
}

export interface SearchPlan extends Objective {
  startRate: number;
  stepFactor: number;
  maxRate: number;
  /** Bisection rounds between the last passing and the first failing rate. */
  refineSteps: number;
}

export interface SearchResult {
  capacity: number;
  steps: (StepResult & { pass: boolean })[];
  limitedBy: 'latency' | 'errors' | 'throughput' | 'max_rate';
}

/** A step passes when p99 and errors meet the objective and the offered rate was really served. */
export function passes(step: StepResult, objective: Objective): boolean {
  return step.p99Ms <= objective.p99Ms && step.errorRate < objective.maxErrorRate && step.achieved >= 0.95 * step.offered;
}

function whyFailed(step: StepResult, objective: Objective): SearchResult['limitedBy'] {
  if (step.errorRate >= objective.maxErrorRate) return 'errors';
  if (step.p99Ms > objective.p99Ms) return 'latency';
  return 'throughput';
}

/**
 * Capacity at the objective: raise the offered rate geometrically until a step fails, then bisect
 * between the last passing and the first failing rate. Capacity = highest passing offered rate.
 */
export async function searchCapacity(plan: SearchPlan, measure: (rate: number) => Promise<StepResult>): Promise<SearchResult> {
  const steps: SearchResult['steps'] = [];
  const run = async (rate: number) => {
    const step = await measure(rate);
    const pass = passes(step, plan);
    steps.push({ ...step, pass });
    return { step, pass };
  };
  let good = 0;
  let bad: StepResult | null = null;
  for (let rate = plan.startRate; rate <= plan.maxRate; rate = Math.round(rate * plan.stepFactor)) {
    const { step, pass } = await run(rate);
    if (!pass) {
      bad = step;
      break;
    }
    good = rate;
  }
  if (!bad) return { capacity: good, steps, limitedBy: 'max_rate' };
  let limitedBy = whyFailed(bad, plan);
  let high = bad.offered;
  for (let i = 0; i < plan.refineSteps && high - good > Math.max(10, good * 0.05); i++) {
    const mid = Math.round((good + high) / 2);
    const { step, pass } = await run(mid);
    if (pass) good = mid;
    else {
      high = mid;
      limitedBy = whyFailed(step, plan);
    }
  }
  return { capacity: good, steps, limitedBy };
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// The capacity definition of the local experiment (scripts/experiment/capacity-definition.ts),
// for k6: pure functions, no k6 imports, so Jest runs them without the binary and holds both
// implementations to the same cases (loadtest/lib/capacity.spec.ts).
//
// Each step holds its rate and is judged in several windows: it meets the objective when the
// majority of its windows do (a single stall does not fail it) and the generator really offered
// the rate. Capacity = the highest rate above which every swept rate fails; failures below it are
// isolated (stalls). Sustainable = the same rule on "served within the tolerance, errors under
// the budget", latency aside.

/** The generator must really have offered the rate, or the step says nothing about the service. */
const GENERATOR_SHORTFALL = 0.95;

export function windowPasses(window, objective) {
  return window.p99Ms <= objective.p99Ms && window.errorRate < objective.maxErrorRate;
}

/** step: { offered, sentRate, throughput, p99Ms, errorRate, windows: [{ p99Ms, errorRate }] } */
export function judgeStep(step, objective, tolerance) {
  const windows = step.windows.length > 0 ? step.windows : [{ requests: 0, p99Ms: step.p99Ms, errorRate: step.errorRate }];
  const windowsPassed = windows.filter((w) => windowPasses(w, objective)).length;
  const majority = windowsPassed * 2 > windows.length;
  let failure = null;
  if (step.sentRate < GENERATOR_SHORTFALL * step.offered) failure = 'generator';
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

/** rates ascending, passes[i] the verdict at rates[i]. */
export function capacityFigure(rates, passes) {
  let firstOfFailingTail = rates.length;
  while (firstOfFailingTail > 0 && !passes[firstOfFailingTail - 1]) firstOfFailingTail--;
  const below = rates.slice(0, firstOfFailingTail);
  return {
    rps: firstOfFailingTail > 0 ? rates[firstOfFailingTail - 1] : 0,
    reached: firstOfFailingTail < rates.length,
    isolatedFailures: below.filter((_, i) => !passes[i]),
  };
}

/** Both figures of one sweep of judged steps ({ ...step, verdict }); a repeated rate counts once, the last time. */
export function sweepFigures(steps) {
  const byRate = new Map();
  for (const step of steps) byRate.set(step.offered, step);
  const ordered = [...byRate.values()].sort((a, b) => a.offered - b.offered);
  const rates = ordered.map((s) => s.offered);
  const capacity = capacityFigure(
    rates,
    ordered.map((s) => s.verdict.meetsObjective),
  );
  const firstSystematic = ordered.find((s) => s.offered > capacity.rps && !s.verdict.meetsObjective);
  return {
    capacity: { ...capacity, limitedBy: capacity.reached ? (firstSystematic ? firstSystematic.verdict.failure : 'latency') : 'sweep_end' },
    sustainable: capacityFigure(
      rates,
      ordered.map((s) => s.verdict.sustainable),
    ),
  };
}

/** Every accepted rating aggregated exactly once: the same columns as the local report. */
export function integrity(accepted, aggregated) {
  return { accepted, aggregated, lost: Math.max(0, accepted - aggregated), duplicated: Math.max(0, aggregated - accepted) };
}

/**
 * The consumer has caught up when the aggregated total reached what was accepted and held for
 * `stableMs`, or stopped moving for `idleMs` (then what is missing is lost), or time ran out.
 * samples: [{ atMs, total }] in time order.
 */
export function drained(samples, expected, stableMs, idleMs, timeoutMs) {
  if (samples.length === 0) return false;
  const last = samples[samples.length - 1];
  if (last.atMs - samples[0].atMs >= timeoutMs) return true;
  let since = last.atMs;
  for (let i = samples.length - 1; i >= 0 && samples[i].total === last.total; i--) since = samples[i].atMs;
  const unchanged = last.atMs - since;
  return (last.total >= expected && unchanged >= stableMs) || unchanged >= idleMs;
}

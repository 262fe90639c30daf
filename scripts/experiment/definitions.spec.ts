import { contentionLimits, loadDefinitions, sweepPlan } from './definitions';

describe('scenario definitions', () => {
  const full = loadDefinitions(false);
  const quick = loadDefinitions(true);

  it('hold every rate long enough to be judged in windows, with at least five repeats in a full run', () => {
    expect(full.capacity.repeats).toBeGreaterThanOrEqual(5);
    expect(full.capacity.windows).toBeGreaterThanOrEqual(3);
    expect(full.capacity.step_duration_s / full.capacity.windows).toBeGreaterThanOrEqual(3);
    expect(full.objective).toEqual({ p99_ms: 50, max_error_rate: 0.001 });
    expect(full.sustainable.tolerance).toBe(0.02);
  });

  it('lay --quick over the full definitions, keeping what it does not override', () => {
    expect(quick.capacity.step_duration_s).toBeLessThan(full.capacity.step_duration_s);
    expect(quick.capacity.repeats).toBe(1);
    expect(quick.capacity.windows).toBe(full.capacity.windows);
    expect(quick.capacity.start_rate).toBe(full.capacity.start_rate);
    expect(quick.contention.outside_cpu_pct).toBe(full.contention.outside_cpu_pct);
    expect(quick.contention.retries).toBeLessThan(full.contention.retries);
    expect(quick.objective).toEqual(full.objective);
    expect(quick).not.toHaveProperty('quick');
  });

  it('give the sweep plan and the contention limits', () => {
    expect(sweepPlan(full)).toMatchObject({
      objective: { p99Ms: 50, maxErrorRate: 0.001 },
      tolerance: 0.02,
      sweepFactor: full.capacity.step_factor,
      stopAfter: full.capacity.stop_after,
    });
    // The skip lands below the located sustainable rate, so the sweep still sees it pass first.
    expect(sweepPlan(full).sustainableFrom).toBeGreaterThan(0);
    expect(sweepPlan(full).sustainableFrom).toBeLessThan(1);
    expect(contentionLimits(full)).toEqual({ outsideCpuPct: 10, generatorCpuPct: 80, stealCpuPct: 25 });
  });
});

describe('the paired rounds definitions', () => {
  it('plan more clean rounds than the minimum, a ladder of distinct rising factors and a 1 % budget', () => {
    for (const quick of [false, true]) {
      const { rounds } = loadDefinitions(quick);
      expect(rounds.rounds).toBeGreaterThanOrEqual(rounds.min_clean_rounds);
      expect(rounds.extra_rounds).toBeLessThanOrEqual(2);
      expect([...rounds.ladder].sort((a, b) => a - b)).toEqual(rounds.ladder);
      expect(new Set(rounds.ladder).size).toBe(rounds.ladder.length);
      expect(rounds.budget).toBe(0.01);
    }
    expect(loadDefinitions(true).rounds.ramp.step_s).toBeLessThan(loadDefinitions(false).rounds.ramp.step_s);
  });
});

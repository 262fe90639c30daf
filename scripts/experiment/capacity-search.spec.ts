import { median, passes, searchCapacity, StepResult } from './capacity-search';

/** A recorded service: fine up to `limit` req/s, then latency explodes (queueing). */
function service(limit: number, errorsFrom = Infinity) {
  const measured: number[] = [];
  const measure = async (rate: number): Promise<StepResult> => {
    measured.push(rate);
    return {
      offered: rate,
      achieved: rate,
      p50Ms: 3,
      p99Ms: rate <= limit ? 20 : 400,
      errorRate: rate >= errorsFrom ? 0.05 : 0,
    };
  };
  return { measure, measured };
}

const plan = { startRate: 100, stepFactor: 2, maxRate: 10_000, refineSteps: 2, p99Ms: 50, maxErrorRate: 0.001 };

describe('searchCapacity', () => {
  it('ramps geometrically, then bisects between the last pass and the first failure', async () => {
    const { measure, measured } = service(650);
    const result = await searchCapacity(plan, measure);
    expect(measured).toEqual([100, 200, 400, 800, 600, 700]);
    expect(result.capacity).toBe(600);
    expect(result.limitedBy).toBe('latency');
    expect(result.steps.map((s) => s.pass)).toEqual([true, true, true, false, true, false]);
  });

  it('names errors as the limit when the error budget breaks first', async () => {
    const { measure } = service(100_000, 300);
    const result = await searchCapacity({ ...plan, refineSteps: 0 }, measure);
    expect(result).toMatchObject({ capacity: 200, limitedBy: 'errors' });
  });

  it('reports 0 when even the first step fails', async () => {
    const { measure } = service(10);
    expect((await searchCapacity({ ...plan, refineSteps: 0 }, measure)).capacity).toBe(0);
  });

  it('stops at max_rate when nothing breaks', async () => {
    const { measure } = service(1e9);
    const result = await searchCapacity({ ...plan, maxRate: 1000 }, measure);
    expect(result).toMatchObject({ capacity: 800, limitedBy: 'max_rate' });
  });

  it('fails a step whose offered rate the generator could not send', () => {
    const step = { offered: 1000, achieved: 900, p50Ms: 1, p99Ms: 10, errorRate: 0 };
    expect(passes(step, plan)).toBe(false);
    expect(passes({ ...step, achieved: 990 }, plan)).toBe(true);
    expect(passes({ ...step, achieved: 990, p99Ms: 51 }, plan)).toBe(false);
    expect(passes({ ...step, achieved: 990, errorRate: 0.001 }, plan)).toBe(false);
  });

  it('computes medians of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBe(0);
  });
});

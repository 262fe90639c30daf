import { BlockCount, crossing, pairedEstimate, pooledCurve } from './slow-share';

const block = (arm: string, round: number, rate: number, bad: number, requests = 1000): BlockCount => ({ arm, round, rate, requests, bad });

describe('the slow-share estimator', () => {
  it('pools each rate over the rounds and makes the share non-decreasing, weighted by requests', () => {
    const curve = pooledCurve([
      block('1', 1, 100, 0),
      block('1', 2, 100, 2),
      block('1', 1, 200, 30),
      block('1', 2, 200, 10),
      block('1', 1, 150, 0, 3000),
    ]);
    expect(curve.map((p) => [p.rate, p.requests, p.bad])).toEqual([
      [100, 2000, 2],
      [150, 3000, 0],
      [200, 2000, 40],
    ]);
    // 0.1 % at 100 then 0 % at 150 is noise: pooled to (2 + 0) / 5000.
    expect(curve.map((p) => p.fitted)).toEqual([0.0004, 0.0004, 0.02]);
    expect(curve[0].share).toBe(0.001);
  });

  it('interpolates the crossing of the budget between the rates around it', () => {
    const curve = pooledCurve([block('1', 1, 100, 0), block('1', 1, 200, 5), block('1', 1, 300, 25)]);
    // 0.5 % at 200, 2.5 % at 300: 1 % is a quarter of the way.
    expect(crossing(curve, 0.01)).toEqual({ rps: 225, censored: null });
  });

  it('says when the crossing lies outside the rates measured', () => {
    expect(crossing(pooledCurve([block('1', 1, 100, 50), block('1', 1, 200, 90)]), 0.01)).toEqual({ rps: null, censored: 'below' });
    expect(crossing(pooledCurve([block('1', 1, 100, 0), block('1', 1, 200, 1)]), 0.01)).toEqual({ rps: 200, censored: 'above' });
    expect(crossing([], 0.01)).toEqual({ rps: null, censored: null });
  });

  it('lets a stall count for the requests it delayed: one bad block among six rounds does not fail the rate', () => {
    const blocks = [1, 2, 3, 4, 5, 6].flatMap((r) => [block('1', r, 100, r === 3 ? 40 : 0), block('1', r, 200, 30)]);
    // 40 slow of 6000 at 100 rps is 0.67 %: under the budget, where a per-step p99 rule failed it.
    expect(crossing(pooledCurve(blocks), 0.01).rps).toBeGreaterThan(100);
  });

  it('gives the ratio of paired capacities with an interval from resampled rounds', () => {
    const rounds = [1, 2, 3, 4, 5, 6];
    const noise = [0, 2, -1, 1, -2, 0];
    const blocks = rounds.flatMap((r, i) => [
      block('1', r, 300, 0),
      block('1', r, 400, 5 + noise[i]),
      block('1', r, 500, 25 + noise[i]),
      block('3', r, 900, 0),
      block('3', r, 1200, 5 + noise[i]),
      block('3', r, 1500, 25 + noise[i]),
    ]);
    const estimate = pairedEstimate(blocks, '3', '1', 0.01);
    expect(estimate.arms['1'].crossing.rps).toBeCloseTo(425, 0);
    expect(estimate.arms['3'].crossing.rps).toBeCloseTo(1275, 0);
    expect(estimate.ratio).toBeCloseTo(3, 5);
    // The same drift hits both arms of a round: the paired ratio hardly moves.
    const [low, high] = estimate.ratioInterval!;
    expect(low).toBeLessThanOrEqual(3);
    expect(high).toBeGreaterThanOrEqual(3);
    expect(high - low).toBeLessThan(0.05);
    expect(estimate.arms['1'].interval![0]).toBeLessThan(estimate.arms['1'].interval![1]);
    expect(estimate.rounds).toEqual(rounds);
  });

  it('gives no interval when resamples keep leaving the ladder, and no ratio when a capacity is censored', () => {
    const blocks = [1, 2, 3, 4].flatMap((r) => [
      block('1', r, 100, r % 2 ? 0 : 50),
      block('1', r, 200, 50),
      block('3', r, 300, 0),
      block('3', r, 600, 50),
    ]);
    const estimate = pairedEstimate(blocks, '3', '1', 0.01);
    expect(estimate.ratioInterval).toBeNull();
    expect(estimate.censoredResamples).toBeGreaterThan(0.05);
    const above = pairedEstimate([block('1', 1, 100, 0), block('1', 1, 200, 50), block('3', 1, 300, 0)], '3', '1', 0.01);
    expect(above.arms['3'].crossing.censored).toBe('above');
    expect(above.ratio).toBeNull();
  });
});

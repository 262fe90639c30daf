import { bootstrapRatioInterval, coefficientOfVariation, interquartileRange, median, quantile, seededRandom } from './statistics';

describe('experiment statistics', () => {
  it('computes medians of odd and even counts, and 0 for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBe(0);
  });

  it('interpolates quantiles between order statistics', () => {
    expect(quantile([10, 20, 30, 40, 50], 0.25)).toBe(20);
    expect(quantile([10, 20, 30, 40], 0.25)).toBe(17.5);
    expect(interquartileRange([130, 110, 120, 150, 140])).toEqual([120, 140]);
  });

  it('gives the coefficient of variation with the sample standard deviation', () => {
    expect(coefficientOfVariation([100, 100, 100])).toBe(0);
    expect(coefficientOfVariation([90, 110])).toBeCloseTo((Math.SQRT2 * 10) / 100, 10);
    expect(coefficientOfVariation([42])).toBe(0);
  });

  it('draws the same sequence from the same seed, uniformly in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 2000 }, () => a());
    expect(draws.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(median(draws)).toBeGreaterThan(0.45);
    expect(median(draws)).toBeLessThan(0.55);
  });

  it('brackets the ratio of medians with a bootstrap interval that widens with the spread', () => {
    const one = [120, 118, 125, 122, 119];
    const three = [350, 360, 345, 355, 362];
    const tight = bootstrapRatioInterval(three, one)!;
    expect(tight[0]).toBeLessThanOrEqual(median(three) / median(one));
    expect(tight[1]).toBeGreaterThanOrEqual(median(three) / median(one));
    expect(tight[0]).toBeGreaterThan(2.7);
    expect(tight[1]).toBeLessThan(3.1);
    const wide = bootstrapRatioInterval([250, 450, 360, 300, 420], [80, 150, 120, 100, 140])!;
    expect(wide[1] - wide[0]).toBeGreaterThan(tight[1] - tight[0]);
  });

  it('is reproducible and refuses empty groups or a zero denominator', () => {
    expect(bootstrapRatioInterval([3, 4], [1, 2])).toEqual(bootstrapRatioInterval([3, 4], [1, 2]));
    expect(bootstrapRatioInterval([], [1])).toBeNull();
    expect(bootstrapRatioInterval([1], [0, 0])).toBeNull();
  });
});

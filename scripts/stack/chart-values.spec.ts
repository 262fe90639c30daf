import { join } from 'node:path';
import { apiCpuLimitMillis, parseCpuQuantity } from './chart-values';
import { ROOT } from './stack-config';

describe('chart values', () => {
  it.each([
    ['250m', 250],
    ['0.5', 500],
    ['1', 1000],
    ['1.5', 1500],
    [2, 2000],
  ])('reads CPU quantity %p as %p millicores', (quantity, millis) => {
    expect(parseCpuQuantity(quantity)).toBe(millis);
  });

  it.each(['', 'abc', '250x', '-1', '0m', '0.0001'])('rejects CPU quantity %p', (quantity) => {
    expect(() => parseCpuQuantity(quantity)).toThrow(/resources\.limits\.cpu/);
  });

  it('takes the local per-replica quota from the chart values', () => {
    expect(apiCpuLimitMillis(join(ROOT, 'charts', 'rate', 'values.yaml'))).toBe(500);
  });
});

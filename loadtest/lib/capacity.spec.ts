import * as k6 from './capacity.js';
import { capacityFigure, judgeStep, StepMeasurement, sweepFigures } from '../../scripts/experiment/capacity-definition';

/**
 * The local experiment and the k6 capacity scenario must measure the same thing: the same step
 * verdicts and the same figures from the same measurements.
 */
const objective = { p99Ms: 50, maxErrorRate: 0.001 };

function step(
  offered: number,
  p99s: number[],
  errors: number[] = p99s.map(() => 0),
  throughput = offered,
  sentRate = offered,
): StepMeasurement {
  return {
    offered,
    sentRate,
    throughput,
    p50Ms: 3,
    p99Ms: Math.max(...p99s),
    errorRate: errors.reduce((a, b) => a + b, 0) / errors.length,
    windows: p99s.map((p99Ms, i) => ({ requests: 300, p99Ms, errorRate: errors[i] })),
  };
}

const cases: StepMeasurement[] = [
  step(100, [4, 5, 4]),
  step(110, [4, 103, 5]),
  step(121, [60, 103, 5]),
  step(133, [4, 4, 4], [0, 0.01, 0.02]),
  step(146, [4, 4, 4], [0, 0, 0.005]),
  step(161, [4, 4, 4], undefined, 161, 140),
  step(177, [300, 400, 500], undefined, 175),
  step(195, [300, 400, 500], undefined, 180),
  { ...step(200, [1]), windows: [] },
];

describe('capacity definition parity: local experiment and k6', () => {
  it.each(cases.map((c) => [c.offered, c]))('judges the step at %d rps the same way', (_rate, c) => {
    expect(k6.judgeStep(c, objective, 0.02)).toEqual(judgeStep(c, objective, 0.02));
  });

  it.each([
    [
      [100, 110, 121, 133],
      [true, false, true, false],
    ],
    [
      [100, 110, 121, 133],
      [true, true, true, true],
    ],
    [
      [100, 110, 121, 133],
      [false, false, false, false],
    ],
    [
      [100, 110, 121, 133, 146, 161],
      [true, false, false, true, false, false],
    ],
    [[], []],
  ])('takes the same figure from rates %j', (rates, passes) => {
    expect(k6.capacityFigure(rates, passes)).toEqual(capacityFigure(rates, passes));
  });

  it('gives both figures of a whole sweep alike, a repeated rate counted once', () => {
    const judged = [...cases, step(110, [4, 4, 4])].map((c) => ({ ...c, verdict: judgeStep(c, objective, 0.02) }));
    expect(k6.sweepFigures(judged)).toEqual(sweepFigures(judged));
    expect(sweepFigures(judged).capacity.rps).toBeGreaterThan(0);
  });
});

import { capacityFigure, judgeStep, JudgedStep, nextRate, StepMeasurement, sweepDone, sweepFigures } from './capacity-definition';
import { laterSweepStart, locate, sustainableStart, sweep, SweepPlan, sweepStart } from './capacity-sweep';

const objective = { p99Ms: 50, maxErrorRate: 0.001 };
const plan: SweepPlan = {
  objective,
  tolerance: 0.02,
  startRate: 50,
  locateFactor: 1.5,
  sweepFactor: 1.1,
  sweepFrom: 0.6,
  sustainableFrom: 0.8,
  maxRate: 20_000,
  maxSteps: 30,
  maxDownSteps: 6,
  stopAfter: 2,
};

const window = (p99Ms: number, errorRate = 0) => ({ requests: 500, p99Ms, errorRate });

function step(offered: number, windows: { p99Ms: number; errorRate: number }[], achieved = offered, sent = offered): StepMeasurement {
  const worst = Math.max(...windows.map((w) => w.p99Ms));
  const errorRate = windows.reduce((sum, w) => sum + w.errorRate, 0) / windows.length;
  return {
    offered,
    sentRate: sent,
    throughput: achieved,
    p50Ms: 3,
    p99Ms: worst,
    errorRate,
    windows: windows.map((w) => ({ requests: 500, ...w })),
  };
}

/**
 * A recorded service: p99 of a few ms up to `latencyLimit`, tens of ms above it (queueing on the
 * quota), served in full up to `throughputLimit`; `stalls` puts one slow window (a throttled
 * period, a GC pause) into the given steps, `doubleStalls` two.
 */
function service(latencyLimit: number, throughputLimit: number, stalls: number[] = [], doubleStalls: number[] = []) {
  const measured: number[] = [];
  const measure = async (rate: number) => {
    measured.push(rate);
    const base = rate <= latencyLimit ? 4 : 120;
    const slow = doubleStalls.includes(rate) ? 2 : stalls.includes(rate) ? 1 : 0;
    const windows = [0, 1, 2].map((i) => window(i < slow ? 103 : base));
    return step(rate, windows, Math.min(rate, throughputLimit));
  };
  return { measure, measured };
}

const judged = (s: StepMeasurement): JudgedStep => ({ ...s, verdict: judgeStep(s, objective, 0.02) });

describe('capacity definition', () => {
  it('meets the objective when the majority of windows do: one stalled window does not fail a step', () => {
    expect(judgeStep(step(100, [window(4), window(103), window(5)]), objective, 0.02)).toEqual({
      meetsObjective: true,
      windowsPassed: 2,
      sustainable: true,
      failure: null,
    });
    expect(judgeStep(step(100, [window(4), window(103), window(90)]), objective, 0.02)).toMatchObject({
      meetsObjective: false,
      windowsPassed: 1,
      failure: 'latency',
    });
  });

  it('names errors when failing windows broke the error budget, and the generator when it could not send', () => {
    expect(judgeStep(step(100, [window(4, 0.01), window(4, 0.02), window(4)]), objective, 0.02)).toMatchObject({
      meetsObjective: false,
      failure: 'errors',
      sustainable: false,
    });
    expect(judgeStep(step(1000, [window(4), window(4), window(4)], 900, 900), objective, 0.02)).toMatchObject({
      meetsObjective: false,
      failure: 'generator',
    });
  });

  it('calls a rate sustainable when it was served within the tolerance with errors under the budget, whatever the latency', () => {
    expect(judgeStep(step(400, [window(300), window(400), window(350)], 395), objective, 0.02)).toMatchObject({
      meetsObjective: false,
      sustainable: true,
    });
    expect(judgeStep(step(400, [window(4), window(4), window(4)], 389), objective, 0.02).sustainable).toBe(false);
  });

  it('judges the whole step when it has no windows', () => {
    const whole = { ...step(100, [window(4)]), windows: [] };
    expect(judgeStep(whole, objective, 0.02).meetsObjective).toBe(true);
    expect(judgeStep({ ...whole, p99Ms: 60 }, objective, 0.02).meetsObjective).toBe(false);
  });

  it('takes the highest rate below a tail of failures, recording failures below it as isolated', () => {
    // The repeat 3: 218 fails (42 ms would pass now, but say it failed), 273 passes, 341 fails, 290 passes...
    expect(capacityFigure([174, 218, 273, 290, 341, 426], [true, false, true, true, false, false])).toEqual({
      rps: 290,
      reached: true,
      isolatedFailures: [218],
    });
    expect(capacityFigure([100, 200], [true, true])).toEqual({ rps: 200, reached: false, isolatedFailures: [] });
    expect(capacityFigure([100, 200], [false, false])).toEqual({ rps: 0, reached: true, isolatedFailures: [] });
    expect(capacityFigure([], [])).toEqual({ rps: 0, reached: false, isolatedFailures: [] });
  });

  it('counts a retried rate once (its last measurement) and names the systematic limit', () => {
    const steps = [
      judged(step(100, [window(4), window(4), window(4)])),
      judged(step(200, [window(90), window(90), window(4)])),
      judged(step(200, [window(4), window(4), window(4)])),
      judged(step(300, [window(90), window(90), window(90)], 280)),
    ];
    expect(sweepFigures(steps)).toEqual({
      capacity: { rps: 200, reached: true, isolatedFailures: [], limitedBy: 'latency' },
      sustainable: { rps: 200, reached: true, isolatedFailures: [] },
    });
  });

  it('ends a sweep only after consecutive steps failed both figures', () => {
    const overload = judged(step(500, [window(300), window(300), window(300)], 400));
    const slowButServed = judged(step(450, [window(300), window(300), window(300)]));
    expect(sweepDone([slowButServed, overload], 2)).toBe(false);
    expect(sweepDone([overload, overload], 2)).toBe(true);
    expect(sweepDone([overload], 2)).toBe(false);
  });

  it('steps geometrically by at least one request per second', () => {
    expect(nextRate(100, 1.1)).toBe(110);
    expect(nextRate(3, 1.1)).toBe(4);
  });
});

describe('capacity sweep', () => {
  it('locates the region with a coarse ramp that goes past a stalled step', async () => {
    const { measure, measured } = service(300, 400, [], [113]);
    const located = await locate(plan, measure);
    expect(measured).toEqual([50, 75, 113, 170, 255, 383, 575, 863]);
    expect(located.estimate).toBe(255);
    expect(located.sustainableEstimate).toBe(383);
    expect(sweepStart(plan, located.estimate)).toBe(153);
    expect(sustainableStart(plan, located.sustainableEstimate)).toBe(306);
  });

  it('sweeps every rate up to the systematic failure, unmoved by stalls below it', async () => {
    const { measure, measured } = service(300, 360, [185], [168]);
    const result = await sweep(plan, 153, measure);
    expect(measured).toEqual([153, 168, 185, 204, 224, 246, 271, 298, 328, 361, 397, 437]);
    expect(result.capacity).toEqual({ rps: 298, reached: true, isolatedFailures: [168], limitedBy: 'latency' });
    // 361 is served at 360/s: within 2 %, so sustainable although its p99 is far off.
    expect(result.sustainable).toEqual({ rps: 361, reached: true, isolatedFailures: [] });
  });

  it('skips from the failing tail of the objective to the sustainable region, the same rates in every sweep', async () => {
    const { measure, measured } = service(300, 1000, [], [168]);
    const result = await sweep(plan, 153, measure, 800);
    expect(measured).toEqual([153, 168, 185, 204, 224, 246, 271, 298, 328, 361, 800, 880, 968, 1065, 1172]);
    expect(result.capacity).toEqual({ rps: 298, reached: true, isolatedFailures: [168], limitedBy: 'latency' });
    expect(result.sustainable).toEqual({ rps: 968, reached: true, isolatedFailures: [] });
    // A sustainable region that starts below the objective's tail is simply swept through.
    const near = service(300, 360);
    await sweep(plan, 153, near.measure, 320);
    expect(near.measured).toEqual([153, 168, 185, 204, 224, 246, 271, 298, 328, 361, 397, 437]);
  });

  it('starts later sweeps on the same grid, closer to the capacity the first sweep found', () => {
    // The locating ramp runs cold and short: it placed the first sweep at 68 rps, far below a 287 rps capacity.
    expect(laterSweepStart(plan, 68, 287)).toBe(161);
    expect(laterSweepStart(plan, 68, 60)).toBe(68);
    expect(laterSweepStart(plan, 68, 0)).toBe(68);
  });

  it('extends downwards when even the first rate misses the objective', async () => {
    const { measure, measured } = service(120, 150);
    const result = await sweep(plan, 200, measure);
    expect(measured).toEqual([200, 220, 181, 164, 149, 135, 122, 110]);
    expect(result.capacity.rps).toBe(110);
    expect(result.sustainable.rps).toBe(149);
  });

  it('extends downwards only so far, then reports no capacity', async () => {
    const { measure, measured } = service(10, 12);
    const result = await sweep({ ...plan, maxDownSteps: 3 }, 200, measure);
    expect(measured).toEqual([200, 220, 181, 164, 149]);
    expect(result.capacity).toMatchObject({ rps: 0, reached: true });
  });

  it('stops at the maximum rate and says the figure was not reached', async () => {
    const { measure } = service(1e9, 1e9);
    const result = await sweep({ ...plan, maxRate: 200 }, 150, measure);
    expect(result.capacity).toMatchObject({ rps: 200, reached: false, limitedBy: 'sweep_end' });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drained, integrity } from './capacity.js';
import {
  buildOptions,
  capacityRates,
  capacityReport,
  capacitySchedule,
  rateChecks,
  rateRequest,
  settings,
  stepsFromSummary,
  subjectsOf,
} from './scenarios.js';

const defs = JSON.parse(readFileSync(join(__dirname, '..', 'scenarios.json'), 'utf8'));

describe('k6 scenario logic', () => {
  it('defaults to the open scenario against the local balancer, with integrity checked', () => {
    const s = settings({}, defs);
    expect(s).toMatchObject({
      scenario: 'open',
      baseUrl: 'http://127.0.0.1:8080',
      rate: defs.open.rate,
      duration: defs.open.duration_s,
      windows: 1,
      p99Ms: 50,
      maxErrorRate: 0.001,
      integrity: true,
    });
    expect(settings({ SCENARIO: 'capacity' }, defs)).toMatchObject({
      windows: defs.capacity.windows,
      stepDuration: defs.capacity.step_duration_s,
      stepFactor: defs.capacity.step_factor,
      maxRate: defs.capacity.k6_max_rate,
      tolerance: 0.02,
    });
  });

  it('reproduces the original exercise as the closed scenario: 5 VUs back to back', () => {
    const options = buildOptions(settings({ SCENARIO: 'closed' }, defs));
    expect(options.scenarios.closed).toEqual({ executor: 'constant-vus', vus: 5, duration: `${defs.closed.duration_s}s`, exec: 'rate' });
  });

  it('offers a constant arrival rate in the open scenario', () => {
    const options = buildOptions(settings({ SCENARIO: 'open', RATE: '750', DURATION: '30' }, defs));
    expect(options.scenarios.open).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 750,
      timeUnit: '1s',
      duration: '30s',
      exec: 'rate',
    });
    expect(options.scenarios.open.maxVUs).toBeGreaterThanOrEqual(options.scenarios.open.preAllocatedVUs);
    expect(options.thresholds.http_req_failed).toEqual(['rate<0.001']);
  });

  it('splits an open step into windows with p99 and error thresholds of their own', () => {
    const options = buildOptions(settings({ SCENARIO: 'open', RATE: '200', DURATION: '12', WINDOWS: '3' }, defs));
    expect(Object.keys(options.scenarios)).toEqual(['open_w1', 'open_w2', 'open_w3']);
    expect(options.scenarios.open_w2).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 200,
      duration: '4s',
      startTime: '4s',
      tags: { window: '2' },
    });
    expect(options.thresholds['http_req_duration{window:3}']).toEqual(['p(99)<50']);
    expect(options.thresholds['http_req_failed{window:1}']).toEqual(['rate<0.001']);
  });

  it('holds each capacity rate (no ramps) in windows, one after the other, with a pause between steps', () => {
    const s = settings(
      { SCENARIO: 'capacity', START_RATE: '100', STEP_FACTOR: '2', MAX_RATE: '1000', STEP_DURATION: '6', WINDOWS: '3', PAUSE: '1' },
      defs,
    );
    expect(capacitySchedule(s)).toEqual([
      { rate: 100, startTime: 0 },
      { rate: 200, startTime: 7 },
      { rate: 400, startTime: 14 },
      { rate: 800, startTime: 21 },
    ]);
    const options = buildOptions(s);
    expect(Object.keys(options.scenarios)).toHaveLength(12);
    for (const scenario of Object.values(options.scenarios) as { executor: string }[])
      expect(scenario.executor).toBe('constant-arrival-rate');
    expect(options.scenarios.step_400_w3).toMatchObject({
      rate: 400,
      duration: '2s',
      startTime: '18s',
      tags: { step: '400', window: '3' },
    });
  });

  it('puts the capacity thresholds on each step and window, not on the whole run, and never aborts', () => {
    const options = buildOptions(settings({ SCENARIO: 'capacity', START_RATE: '100', STEP_FACTOR: '2', MAX_RATE: '1000' }, defs));
    expect(options.thresholds).not.toHaveProperty('http_req_failed');
    expect(options.thresholds['http_req_duration{step:200}']).toEqual(['p(99)<50']);
    expect(options.thresholds['http_req_duration{step:200,window:2}']).toEqual(['p(99)<50']);
    expect(options.thresholds['http_req_failed{step:800,window:1}']).toEqual(['rate<0.001']);
    expect(JSON.stringify(options.thresholds)).not.toContain('abortOnFail');
  });

  it.each([
    [{ SCENARIO: 'soak' }, 'SCENARIO=soak must be one of closed, open, capacity'],
    [{ RATE: '-5' }, 'RATE=-5 must be a positive number'],
    [{ DURATION: 'abc' }, 'DURATION=abc must be a positive number'],
    [{ BASE_URL: 'localhost:8080' }, 'BASE_URL=localhost:8080 must be http(s)://host[:port]'],
    [{ WINDOWS: '2.5' }, 'WINDOWS=2.5 must be a whole number'],
    [{ PAUSE: '-1' }, 'PAUSE=-1 must be a number ≥ 0'],
    [{ INTEGRITY: 'yes' }, 'INTEGRITY=yes must be true or false'],
  ])('rejects bad settings %j', (env, message) => {
    expect(() => settings(env, defs)).toThrow(message);
  });

  it('steps capacity rates geometrically by at least one per second, as the local sweep does', () => {
    expect(() => capacityRates(100, 1, 1000)).toThrow('STEP_FACTOR=1 must be above 1');
    expect(capacityRates(50, 1.1, 80)).toEqual([50, 55, 61, 67, 74]);
    expect(capacityRates(3, 1.1, 6)).toEqual([3, 4, 5, 6]);
  });

  it('builds seed-compatible requests cycling over the run’s subjects and ratings 1..10', () => {
    const s = settings({ BASE_URL: 'http://example.test/', SUBJECTS: '3' }, defs);
    expect(rateRequest(s, 'x', 0)).toEqual({ method: 'POST', url: 'http://example.test/rate?rate=1&subject=x-0', subject: 'x-0', rate: 1 });
    expect(rateRequest(s, 'x', 13)).toMatchObject({ url: 'http://example.test/rate?rate=4&subject=x-1', rate: 4 });
    expect(new Set(Array.from({ length: 30 }, (_, i) => rateRequest(s, 'x', i).subject))).toEqual(new Set(subjectsOf(s, 'x')));
  });

  // Not x-replica: the chart leaves it off by default (config.replicaHeader); rate.js counts answers
  // per replica where it is on, and under "none" where it is not.
  it('checks status and body of an answer', () => {
    const request = { method: 'POST', url: 'u', subject: 'x-1', rate: 4 };
    const checks = rateChecks(request);
    const good = { status: 202, body: JSON.stringify({ id: 'abc', subject: 'x-1', rate: 4 }), headers: { 'X-Replica': 'api-2' } };
    const bad = { status: 503, body: '<html>', headers: {} };
    expect(Object.values(checks).map((c) => c(good))).toEqual([true, true]);
    expect(Object.values(checks).map((c) => c(bad))).toEqual([false, false]);
    expect(Object.values(checks).map((c) => c({ ...good, headers: {} }))).toEqual([true, true]);
  });
});

describe('k6 capacity report', () => {
  const s = settings(
    { SCENARIO: 'capacity', START_RATE: '100', STEP_FACTOR: '2', MAX_RATE: '1000', STEP_DURATION: '6', WINDOWS: '3' },
    defs,
  );

  /** k6 summary data: 100 and 400 rps pass, 200 rps has one stalled window, 800 rps is overloaded (served 640/s). */
  function summary() {
    const metrics: Record<string, { values: Record<string, number> }> = {
      http_reqs: { values: { count: 9000 } },
      http_req_duration: { values: { med: 3.2, 'p(99)': 180 } },
      accepted_ratings: { values: { count: 8800 } },
      aggregated_ratings: { values: { count: 8799 } },
    };
    const step = (rate: number, p99s: number[], served = rate) => {
      metrics[`accepted_ratings{step:${rate}}`] = { values: { count: served * 6 } };
      metrics[`http_req_duration{step:${rate}}`] = { values: { 'p(99)': Math.max(...p99s) } };
      p99s.forEach((p99, i) => {
        metrics[`http_reqs{step:${rate},window:${i + 1}}`] = { values: { count: rate * 2 } };
        metrics[`http_req_duration{step:${rate},window:${i + 1}}`] = { values: { 'p(99)': p99 } };
        metrics[`http_req_failed{step:${rate},window:${i + 1}}`] = { values: { rate: 0 } };
      });
    };
    step(100, [4, 5, 4]);
    step(200, [4, 96, 5]);
    step(400, [6, 7, 9]);
    step(800, [300, 900, 1500], 640);
    return { metrics };
  }

  it('rebuilds each step from the per-step and per-window sub-metrics', () => {
    const steps = stepsFromSummary(summary(), s);
    expect(steps.map((st: { offered: number }) => st.offered)).toEqual([100, 200, 400, 800]);
    expect(steps[1]).toEqual({
      offered: 200,
      sentRate: 200,
      throughput: 200,
      p50Ms: 0,
      p99Ms: 96,
      errorRate: 0,
      windows: [
        { requests: 400, p99Ms: 4, errorRate: 0 },
        { requests: 400, p99Ms: 96, errorRate: 0 },
        { requests: 400, p99Ms: 5, errorRate: 0 },
      ],
    });
    expect(steps[3]).toMatchObject({ throughput: 640, errorRate: 0.2 });
  });

  it('gives both capacity figures by the local definition, and the integrity columns', () => {
    const report = capacityReport(summary(), s);
    expect(report).toMatchObject({
      capacity_rps: 400,
      capacity: { rps: 400, reached: true, isolatedFailures: [], limitedBy: 'latency' },
      sustainable_rps: 400,
      integrity: { accepted: 8800, aggregated: 8799, lost: 1, duplicated: 0 },
    });
    expect(report.steps[1].verdict).toEqual({ meetsObjective: true, windowsPassed: 2, sustainable: true, failure: null });
  });

  it('reports integrity for every scenario unless it was switched off', () => {
    expect(capacityReport(summary(), settings({ SCENARIO: 'open' }, defs))).toMatchObject({ scenario: 'open', integrity: { lost: 1 } });
    expect(capacityReport(summary(), settings({ SCENARIO: 'open', INTEGRITY: 'false' }, defs)).integrity).toBeNull();
  });

  it('counts lost and duplicated ratings', () => {
    expect(integrity(100, 100)).toEqual({ accepted: 100, aggregated: 100, lost: 0, duplicated: 0 });
    expect(integrity(100, 97)).toMatchObject({ lost: 3, duplicated: 0 });
    expect(integrity(100, 102)).toMatchObject({ lost: 0, duplicated: 2 });
  });

  it('waits for the drain: the expected total held, or a total that stopped moving, or the timeout', () => {
    const samples = (totals: number[], stepMs = 500) => totals.map((total, i) => ({ atMs: i * stepMs, total }));
    expect(drained([], 10, 1000, 5000, 60000)).toBe(false);
    expect(drained(samples([5, 8, 10, 10, 10]), 10, 1000, 5000, 60000)).toBe(true);
    expect(drained(samples([5, 8, 10, 10]), 10, 1000, 5000, 60000)).toBe(false);
    expect(drained(samples([5, 9, 9, 9, 9]), 10, 1000, 5000, 60000)).toBe(false);
    expect(drained(samples([5, 9, ...Array(11).fill(9)]), 10, 1000, 5000, 60000)).toBe(true);
    expect(drained(samples([1, 2, 3], 40000), 10, 1000, 5000, 60000)).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOptions, capacityRates, rateChecks, rateRequest, settings } from './scenarios.js';

const defs = JSON.parse(readFileSync(join(__dirname, '..', 'scenarios.json'), 'utf8'));

describe('k6 scenario logic', () => {
  it('defaults to the open scenario against the local balancer', () => {
    const s = settings({}, defs);
    expect(s).toMatchObject({ scenario: 'open', baseUrl: 'http://127.0.0.1:8080', rate: defs.open.rate, duration: `${defs.open.duration_s}s`, p99Ms: 50, maxErrorRate: 0.001 });
  });

  it('reproduces the original exercise as the closed scenario: 5 VUs back to back', () => {
    const options = buildOptions(settings({ SCENARIO: 'closed' }, defs));
    expect(options.scenarios.closed).toEqual({ executor: 'constant-vus', vus: 5, duration: `${defs.closed.duration_s}s`, exec: 'rate' });
  });

  it('offers a constant arrival rate in the open scenario', () => {
    const options = buildOptions(settings({ SCENARIO: 'open', RATE: '750', DURATION: '30' }, defs));
    expect(options.scenarios.open).toMatchObject({ executor: 'constant-arrival-rate', rate: 750, timeUnit: '1s', duration: '30s', exec: 'rate' });
    expect(options.scenarios.open.maxVUs).toBeGreaterThanOrEqual(options.scenarios.open.preAllocatedVUs);
  });

  it('ramps the capacity scenario in steps and aborts when the objective breaks', () => {
    const options = buildOptions(settings({ SCENARIO: 'capacity', START_RATE: '100', STEP_FACTOR: '2', MAX_RATE: '1000', STEP_DURATION: '5' }, defs));
    expect(options.scenarios.capacity.stages).toEqual([100, 200, 400, 800].map((target) => ({ target, duration: '5s' })));
    expect(options.thresholds.http_req_failed).toEqual([{ threshold: 'rate<0.001', abortOnFail: true, delayAbortEval: '5s' }]);
    expect(options.thresholds['http_req_duration{expected_response:true}']).toEqual(['p(95)<50', { threshold: 'p(99)<50', abortOnFail: true, delayAbortEval: '5s' }]);
  });

  it('does not abort the closed and open scenarios on a threshold', () => {
    expect(buildOptions(settings({ SCENARIO: 'open' }, defs)).thresholds.http_req_failed).toEqual([{ threshold: 'rate<0.001' }]);
  });

  it.each([
    [{ SCENARIO: 'soak' }, 'SCENARIO=soak must be one of closed, open, capacity'],
    [{ RATE: '-5' }, 'RATE=-5 must be a positive number'],
    [{ DURATION: 'abc' }, 'DURATION=abc must be a positive number'],
    [{ BASE_URL: 'localhost:8080' }, 'BASE_URL=localhost:8080 must be http(s)://host[:port]'],
  ])('rejects bad settings %j', (env, message) => {
    expect(() => settings(env, defs)).toThrow(message);
  });

  it('rejects a capacity step factor that would never grow', () => {
    expect(() => capacityRates(100, 1, 1000)).toThrow('STEP_FACTOR=1 must be above 1');
  });

  it('builds seed-compatible requests cycling over subjects and ratings 1..10', () => {
    const s = settings({ BASE_URL: 'http://example.test/', SUBJECTS: '3', SUBJECT_PREFIX: 'x' }, defs);
    expect(rateRequest(s, 0)).toEqual({ method: 'POST', url: 'http://example.test/rate?rate=1&subject=x-0', subject: 'x-0', rate: 1 });
    expect(rateRequest(s, 13)).toMatchObject({ url: 'http://example.test/rate?rate=4&subject=x-1', rate: 4 });
    expect(new Set(Array.from({ length: 30 }, (_, i) => rateRequest(s, i).subject))).toEqual(new Set(['x-0', 'x-1', 'x-2']));
  });

  it('checks status, body and x-replica of an answer', () => {
    const request = { method: 'POST', url: 'u', subject: 'x-1', rate: 4 };
    const checks = rateChecks(request);
    const good = { status: 202, body: JSON.stringify({ id: 'abc', subject: 'x-1', rate: 4 }), headers: { 'X-Replica': 'api-2' } };
    const bad = { status: 503, body: '<html>', headers: {} };
    expect(Object.values(checks).map((c) => c(good))).toEqual([true, true, true]);
    expect(Object.values(checks).map((c) => c(bad))).toEqual([false, false, false]);
  });
});

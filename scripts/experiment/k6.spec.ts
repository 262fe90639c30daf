import { resultFromK6Summary } from './k6';

/** A handleSummary payload as k6 writes it (trimmed to what the experiment reads). */
const recorded = {
  metrics: {
    http_reqs: { values: { count: 2400, rate: 199.6 } },
    http_req_failed: { values: { rate: 0.0025 } },
    http_req_duration: { values: { avg: 4.1, min: 1.2, med: 3.4, max: 88.5, 'p(90)': 6.1, 'p(95)': 8.2, 'p(99)': 21.7 } },
  },
  root_group: {
    checks: [
      { name: 'status is 202', passes: 2394, fails: 6 },
      { name: 'body echoes the rating', passes: 2394, fails: 6 },
    ],
  },
};

describe('k6 driver', () => {
  it('reads latency, rate, errors and accepted ratings from the k6 summary', () => {
    expect(resultFromK6Summary(recorded, 200, 35.5)).toEqual({
      offered: 200,
      sentRate: 199.6,
      requests: 2400,
      statusCodes: { '202': 2394, other: 6 },
      p50Ms: 3.4,
      p90Ms: 6.1,
      p99Ms: 21.7,
      maxMs: 88.5,
      errorRate: 0.0025,
      generatorCpuPct: 35.5,
    });
  });

  it('accepts checks keyed by name (older k6 summaries)', () => {
    const keyed = { ...recorded, root_group: { checks: { 'status is 202': { name: 'status is 202', passes: 10, fails: 0 } } } };
    expect(resultFromK6Summary(keyed, 10, 1).statusCodes['202']).toBe(10);
  });
});

import { stepStatsFromK6 } from './k6';

/** A handleSummary payload of SCENARIO=open WINDOWS=3 as k6 writes it (trimmed to what the experiment reads). */
const recorded = {
  state: { testRunDurationMs: 12_150 },
  metrics: {
    http_reqs: { values: { count: 2400, rate: 197.5 } },
    accepted_ratings: { values: { count: 2394, rate: 197 } },
    http_req_failed: { values: { rate: 0.0025 } },
    http_req_duration: { values: { avg: 4.1, min: 1.2, med: 3.4, max: 88.5, 'p(90)': 6.1, 'p(95)': 8.2, 'p(99)': 21.7 } },
    'http_reqs{window:1}': { values: { count: 800 } },
    'http_reqs{window:2}': { values: { count: 800 } },
    'http_reqs{window:3}': { values: { count: 800 } },
    'http_req_duration{window:1}': { values: { 'p(99)': 5.5 } },
    'http_req_duration{window:2}': { values: { 'p(99)': 71.2 } },
    'http_req_duration{window:3}': { values: { 'p(99)': 6.1 } },
    'http_req_failed{window:1}': { values: { rate: 0 } },
    'http_req_failed{window:2}': { values: { rate: 0.0075 } },
    'http_req_failed{window:3}': { values: { rate: 0 } },
  },
};

describe('k6 driver', () => {
  it('reads latency, per-window p99 and errors, and accepted ratings from the k6 summary', () => {
    const stats = stepStatsFromK6(recorded, 12, 3);
    expect(stats).toMatchObject({
      requests: 2400,
      sentRate: 200,
      p50Ms: 3.4,
      p90Ms: 6.1,
      p99Ms: 21.7,
      maxMs: 88.5,
      errorRate: 0.0025,
      statusCodes: { '202': 2394, other: 6 },
    });
    expect(stats.throughput).toBeCloseTo(2394 / 12.15, 6);
    expect(stats.windows).toEqual([
      { requests: 800, p99Ms: 5.5, errorRate: 0 },
      { requests: 800, p99Ms: 71.2, errorRate: 0.0075 },
      { requests: 800, p99Ms: 6.1, errorRate: 0 },
    ]);
  });

  it('fails a step that sent nothing', () => {
    expect(stepStatsFromK6({ metrics: {} }, 10, 2)).toMatchObject({
      requests: 0,
      errorRate: 1,
      throughput: 0,
      windows: [{ requests: 0 }, { requests: 0 }],
    });
  });
});

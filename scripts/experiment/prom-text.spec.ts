import { histogramAbove, histogramDelta, parsePromText } from './prom-text';

// As prom-client 15 writes them (trimmed).
const METRICS = `# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.
# TYPE nodejs_gc_duration_seconds histogram
nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 40
nodejs_gc_duration_seconds_bucket{le="0.01",kind="minor"} 55
nodejs_gc_duration_seconds_bucket{le="0.1",kind="minor"} 56
nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 56
nodejs_gc_duration_seconds_sum{kind="minor"} 0.091
nodejs_gc_duration_seconds_count{kind="minor"} 56
nodejs_gc_duration_seconds_bucket{le="0.01",kind="major"} 1
nodejs_gc_duration_seconds_bucket{le="0.1",kind="major"} 3
nodejs_gc_duration_seconds_bucket{le="+Inf",kind="major"} 3
nodejs_gc_duration_seconds_sum{kind="major"} 0.12
nodejs_gc_duration_seconds_count{kind="major"} 3
rate_http_requests_total{route="/rate",method="POST",status="202"} 1200
`;

describe('Prometheus text', () => {
  it('parses samples with their labels', () => {
    const samples = parsePromText(METRICS);
    expect(samples.find((s) => s.name === 'rate_http_requests_total')).toEqual({
      name: 'rate_http_requests_total',
      labels: { route: '/rate', method: 'POST', status: '202' },
      value: 1200,
    });
    expect(samples.filter((s) => s.name.startsWith('nodejs_gc'))).toHaveLength(11);
  });

  it('sums a histogram over its kinds: observations, those above a bound, and their total', () => {
    const gc = histogramAbove(parsePromText(METRICS), 'nodejs_gc_duration_seconds', 0.01);
    expect(gc.count).toBe(59);
    expect(gc.above).toBe(3);
    expect(gc.sum).toBeCloseTo(0.211, 10);
    expect(histogramAbove([], 'nodejs_gc_duration_seconds', 0.01)).toEqual({ count: 0, above: 0, sum: 0 });
  });

  it('subtracts two readings into one window', () => {
    expect(histogramDelta({ count: 10, above: 1, sum: 0.5 }, { count: 25, above: 3, sum: 0.75 })).toEqual({
      count: 15,
      above: 2,
      sum: 0.25,
    });
  });
});

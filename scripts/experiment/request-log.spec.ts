import { objectiveMisses, parseVegetaJsonLines, RequestRecord, slowEpisodes, stepStats } from './request-log';

// Two lines as `vegeta encode --to json` writes them (body trimmed).
const VEGETA = `{"attack":"","seq":0,"code":202,"timestamp":"2026-11-29T19:34:17.596451069Z","latency":21100711,"bytes_out":0,"bytes_in":68,"error":"","body":"","method":"POST","url":"http://127.0.0.1:8080/rate?rate=5\\u0026subject=x","headers":{"Server":["nginx/1.22.1"],"X-Replica":["api-1"]}}
{"attack":"","seq":1,"code":0,"timestamp":"2026-11-29T19:34:17.49679217Z","latency":10000000000,"bytes_out":0,"bytes_in":0,"error":"timeout","body":null,"method":"POST","url":"http://127.0.0.1:8080/rate","headers":null}
`;

/** `n` requests at `rate` per second from t = 0, each with the latency `latencyAt(i)`. */
function requests(n: number, rate: number, latencyAt: (i: number) => number, codeAt: (i: number) => number = () => 202): RequestRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    sentAtMs: (i * 1000) / rate,
    latencyMs: latencyAt(i),
    code: codeAt(i),
    replica: `api-${(i % 3) + 1}`,
  }));
}

describe('request log', () => {
  it('parses vegeta JSON lines with sub-millisecond send times, the answering replica and failures', () => {
    const [timeout, ok] = parseVegetaJsonLines(VEGETA);
    expect(ok).toEqual({ sentAtMs: Date.parse('2026-11-29T19:34:17Z') + 596.451069, latencyMs: 21.100711, code: 202, replica: 'api-1' });
    expect(timeout).toMatchObject({ code: 0, latencyMs: 10000, replica: null });
    expect(timeout.sentAtMs).toBeCloseTo(Date.parse('2026-11-29T19:34:17Z') + 496.79217, 6);
  });

  it('splits a held step into windows by send time and judges each on its own requests', () => {
    // 300 requests over 3 s; requests 150..159 (in the middle window) hit a 103 ms stall.
    const stats = stepStats(
      requests(300, 100, (i) => (i >= 150 && i < 160 ? 103 : 4)),
      3,
      3,
    );
    expect(stats.windows).toEqual([
      { requests: 100, p99Ms: 4, errorRate: 0 },
      { requests: 100, p99Ms: 103, errorRate: 0 },
      { requests: 100, p99Ms: 4, errorRate: 0 },
    ]);
    expect(stats).toMatchObject({ requests: 300, p50Ms: 4, p99Ms: 103, maxMs: 103, errorRate: 0, statusCodes: { '202': 300 } });
    expect(stats.sentRate).toBeCloseTo(100, 6);
  });

  it('measures throughput up to the last answer, so a growing queue shows as a shortfall', () => {
    // Offered 100/s for 10 s, but each answer is 1 ms later than the one before: the queue grows.
    const backlog = stepStats(
      requests(1000, 100, (i) => 5 + i),
      10,
      1,
    );
    expect(backlog.throughput).toBeCloseTo((1000 * 1000) / (9990 + 1004), 6);
    expect(backlog.throughput).toBeLessThan(0.98 * 100);
    const steady = stepStats(
      requests(1000, 100, () => 5),
      10,
      1,
    );
    expect(steady.throughput).toBeGreaterThan(0.98 * 100);
  });

  it('counts answers other than 202 as errors, per window and in total', () => {
    const stats = stepStats(
      requests(
        200,
        100,
        () => 4,
        (i) => (i === 10 ? 503 : 202),
      ),
      2,
      2,
    );
    expect(stats.errorRate).toBe(0.005);
    expect(stats.windows.map((w) => w.errorRate)).toEqual([0.01, 0]);
    expect(stats.statusCodes).toEqual({ '202': 199, '503': 1 });
  });

  it('returns an empty, failing step when nothing was sent', () => {
    expect(stepStats([], 5, 3)).toMatchObject({ requests: 0, throughput: 0, errorRate: 1, windows: [] });
  });

  it('groups slow requests close in send time into episodes, with the replicas that answered them', () => {
    const records = requests(300, 100, (i) => (i >= 100 && i < 108 ? 80 - i + 100 : i === 250 ? 70 : 4));
    const episodes = slowEpisodes(records, 50);
    expect(episodes).toHaveLength(2);
    expect(episodes[0]).toEqual({
      startMs: 1000,
      endMs: 1070 + 73,
      requests: 8,
      maxLatencyMs: 80,
      replicas: { 'api-2': 3, 'api-3': 3, 'api-1': 2 },
    });
    expect(episodes[1]).toMatchObject({ startMs: 2500, requests: 1, maxLatencyMs: 70 });
  });

  it('counts failed requests in episodes even when they were fast', () => {
    const episodes = slowEpisodes(
      requests(
        10,
        100,
        () => 2,
        (i) => (i === 3 ? 502 : 202),
      ),
      50,
    );
    expect(episodes).toEqual([{ startMs: 30, endMs: 32, requests: 1, maxLatencyMs: 2, replicas: { 'api-1': 1 } }]);
  });
});

describe('objectiveMisses', () => {
  const at = (sentAtMs: number, latencyMs: number, code = 202): RequestRecord => ({ sentAtMs, latencyMs, code, replica: 'api-1' });

  it('counts slow answers and errors as misses, each once', () => {
    const records = [at(0, 5), at(10, 60), at(20, 5, 503), at(30, 70, 503)];
    expect(objectiveMisses(records, 100, 50)).toEqual({ requests: 4, bad: 3, errors: 2, sendLagMaxMs: 0 });
  });

  it('measures latency from the intended send time when the generator lags its clock', () => {
    // At 100 rps the third request was due at 20 ms and left at 65: its 10 ms answer counts as 55.
    const records = [at(0, 5), at(10, 5), at(65, 10), at(66, 2)];
    expect(objectiveMisses(records, 100, 50)).toEqual({ requests: 4, bad: 1, errors: 0, sendLagMaxMs: 45 });
  });
});

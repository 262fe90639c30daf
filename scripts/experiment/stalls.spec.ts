import { SlowEpisode } from './request-log';
import { attributeEpisode, mergeStallSummaries, SignalWindow, summarizeStalls, TimelinePoint } from './stalls';

/** 100 ms samples from t = 0 to 3 s; api-1 is throttled 60 ms between 1.0 and 1.1 s. */
function timeline(outsideMsPerSample = 2, throttleAt = 1100): TimelinePoint[] {
  return Array.from({ length: 31 }, (_, i) => ({
    atMs: i * 100,
    throttledMs: { 'api-1': i * 100 >= throttleAt ? 60 : 0, 'api-2': 0 },
    outsideCpuMs: i * outsideMsPerSample,
  }));
}

const quiet = { gcPausesOver10ms: 0, gcMs: 3, acks: 300, acksOver25ms: 0 };
const windows = (override: Partial<typeof quiet> = {}): SignalWindow[] => [
  { startMs: 0, endMs: 1500, replicas: { 'api-1': { ...quiet, ...override }, 'api-2': quiet } },
  { startMs: 1500, endMs: 3000, replicas: { 'api-1': quiet, 'api-2': quiet } },
];

const episode = (startMs: number, endMs: number, replicas: Record<string, number>): SlowEpisode => ({
  startMs,
  endMs,
  requests: Object.values(replicas).reduce((a, b) => a + b, 0),
  maxLatencyMs: 90,
  replicas,
});

describe('stall attribution', () => {
  it('blames CFS throttling of the replica that answered the slow requests', () => {
    const e = attributeEpisode(episode(1020, 1120, { 'api-1': 6 }), timeline(), windows());
    expect(e).toMatchObject({
      causes: ['cfs_throttling'],
      throttledMs: { 'api-1': 60 },
      gcPausesOver10ms: 0,
      acksOver25ms: 0,
      outsideCpuPct: 2,
    });
  });

  it('does not blame a replica that was throttled when another one answered', () => {
    expect(attributeEpisode(episode(1020, 1120, { 'api-2': 4 }), timeline(), windows()).causes).toEqual(['unexplained']);
  });

  it('holds every replica to account for requests that got no answer', () => {
    expect(attributeEpisode(episode(1020, 1120, { 'no answer': 2 }), timeline(), windows()).throttledMs).toEqual({ 'api-1': 60 });
  });

  it('adds GC pauses and slow broker acks from the window the episode falls in', () => {
    const e = attributeEpisode(episode(1020, 1120, { 'api-1': 6 }), timeline(), windows({ gcPausesOver10ms: 1, acksOver25ms: 2 }));
    expect(e.causes).toEqual(['cfs_throttling', 'gc_pause', 'broker_ack']);
    const later = attributeEpisode(episode(2020, 2120, { 'api-1': 3 }), timeline(), windows({ gcPausesOver10ms: 1 }));
    expect(later.causes).toEqual(['unexplained']);
  });

  it('names outside load when the machine ran something else during the episode', () => {
    // 80 ms of outside CPU per 100 ms sample = 80 % of a core.
    const e = attributeEpisode(episode(2020, 2120, { 'api-2': 3 }), timeline(80), windows());
    expect(e).toMatchObject({ causes: ['outside_load'], outsideCpuPct: 80 });
  });

  it('says unexplained without a timeline rather than guessing', () => {
    expect(attributeEpisode(episode(1020, 1120, { 'api-1': 6 }), [], []).causes).toEqual(['unexplained']);
  });

  it('sums episodes and slow requests per cause, across steps', () => {
    const a = attributeEpisode(episode(1020, 1120, { 'api-1': 6 }), timeline(), windows({ gcPausesOver10ms: 1 }));
    const b = attributeEpisode(episode(2020, 2120, { 'api-2': 3 }), timeline(), windows());
    const summary = summarizeStalls([a, b]);
    expect(summary).toEqual({
      episodes: 2,
      slowRequests: 9,
      byCause: {
        cfs_throttling: { episodes: 1, requests: 6 },
        gc_pause: { episodes: 1, requests: 6 },
        unexplained: { episodes: 1, requests: 3 },
      },
    });
    expect(mergeStallSummaries([summary, summary])).toEqual({
      episodes: 4,
      slowRequests: 18,
      byCause: {
        cfs_throttling: { episodes: 2, requests: 12 },
        gc_pause: { episodes: 2, requests: 12 },
        unexplained: { episodes: 2, requests: 6 },
      },
    });
  });
});

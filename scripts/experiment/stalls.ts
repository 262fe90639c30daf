import { NO_ANSWER, SlowEpisode } from './request-log';

/**
 * What a tail is made of. Every episode of slow requests is set against what the harness recorded
 * while it lasted — CFS throttling of the replicas that answered it (cpu.stat every ~100 ms), their
 * GC pauses and slow Kafka acks (their /metrics per window), and CPU used outside the stack — and
 * gets every cause that was present. An episode with none of them is "unexplained".
 */
export type StallCause = 'cfs_throttling' | 'gc_pause' | 'broker_ack' | 'outside_load' | 'unexplained';

export interface TimelinePoint {
  atMs: number;
  /** Cumulative CFS throttled time per API replica, ms. */
  throttledMs: Record<string, number>;
  /** Cumulative CPU used by processes outside the stack, generator and harness, ms. */
  outsideCpuMs: number;
}

export interface ReplicaWindowSignals {
  /** GC pauses longer than 10 ms. */
  gcPausesOver10ms: number;
  gcMs: number;
  /** Kafka produce requests, and those acknowledged later than 25 ms. */
  acks: number;
  acksOver25ms: number;
}

export interface SignalWindow {
  startMs: number;
  endMs: number;
  replicas: Record<string, ReplicaWindowSignals>;
}

export interface AttributedEpisode extends SlowEpisode {
  causes: StallCause[];
  throttledMs: Record<string, number>;
  gcPausesOver10ms: number;
  acksOver25ms: number;
  outsideCpuPct: number;
}

export interface AttributionLimits {
  /** Outside CPU during the episode above this (% of a core) counts as a cause. */
  outsideCpuPct: number;
  /** A stall delays requests sent up to this long after it began: look this far back. */
  leadMs: number;
}

export const DEFAULT_ATTRIBUTION: AttributionLimits = { outsideCpuPct: 50, leadMs: 100 };

/** The timeline points bracketing [from, to]: the last at or before `from`, the first at or after `to`. */
function bracket(timeline: TimelinePoint[], from: number, to: number): [TimelinePoint, TimelinePoint] | null {
  if (timeline.length < 2) return null;
  const before = [...timeline].reverse().find((p) => p.atMs <= from) ?? timeline[0];
  const after = timeline.find((p) => p.atMs >= to) ?? timeline[timeline.length - 1];
  return after.atMs > before.atMs ? [before, after] : null;
}

export function attributeEpisode(
  episode: SlowEpisode,
  timeline: TimelinePoint[],
  windows: SignalWindow[],
  limits: AttributionLimits = DEFAULT_ATTRIBUTION,
): AttributedEpisode {
  const from = episode.startMs - limits.leadMs;
  const to = episode.endMs;
  const span = bracket(timeline, from, to);
  const tracked = Object.keys(span?.[1].throttledMs ?? {});
  const answered = Object.keys(episode.replicas).filter((r) => r !== NO_ANSWER);
  // A timed-out request names no replica: hold every replica to account for it.
  const suspects =
    episode.replicas[NO_ANSWER] || answered.length === 0
      ? tracked
      : answered.filter((r) => tracked.includes(r) || windows.some((w) => w.replicas[r]));
  const throttledMs: Record<string, number> = {};
  if (span) {
    for (const r of suspects) {
      const delta = (span[1].throttledMs[r] ?? 0) - (span[0].throttledMs[r] ?? 0);
      if (delta > 0) throttledMs[r] = Math.round(delta * 10) / 10;
    }
  }
  const overlapping = windows.filter((w) => w.startMs < to && w.endMs > from);
  const signal = (key: keyof ReplicaWindowSignals) =>
    overlapping.reduce((sum, w) => sum + suspects.reduce((s, r) => s + (w.replicas[r]?.[key] ?? 0), 0), 0);
  const gcPausesOver10ms = signal('gcPausesOver10ms');
  const acksOver25ms = signal('acksOver25ms');
  const outsideCpuPct = span ? Math.round((1000 * (span[1].outsideCpuMs - span[0].outsideCpuMs)) / (span[1].atMs - span[0].atMs)) / 10 : 0;
  const causes: StallCause[] = [];
  if (Object.keys(throttledMs).length > 0) causes.push('cfs_throttling');
  if (gcPausesOver10ms > 0) causes.push('gc_pause');
  if (acksOver25ms > 0) causes.push('broker_ack');
  if (outsideCpuPct > limits.outsideCpuPct) causes.push('outside_load');
  if (causes.length === 0) causes.push('unexplained');
  return { ...episode, causes, throttledMs, gcPausesOver10ms, acksOver25ms, outsideCpuPct };
}

export interface StallSummary {
  episodes: number;
  slowRequests: number;
  /** Per cause, the episodes and slow requests it was present in (an episode can have several). */
  byCause: Partial<Record<StallCause, { episodes: number; requests: number }>>;
}

export function summarizeStalls(episodes: AttributedEpisode[]): StallSummary {
  const byCause: StallSummary['byCause'] = {};
  for (const e of episodes) {
    for (const cause of e.causes) {
      const entry = (byCause[cause] ??= { episodes: 0, requests: 0 });
      entry.episodes++;
      entry.requests += e.requests;
    }
  }
  return { episodes: episodes.length, slowRequests: episodes.reduce((sum, e) => sum + e.requests, 0), byCause };
}

/** Adds summaries (a replica count's steps into one). */
export function mergeStallSummaries(summaries: StallSummary[]): StallSummary {
  const merged: StallSummary = { episodes: 0, slowRequests: 0, byCause: {} };
  for (const s of summaries) {
    merged.episodes += s.episodes;
    merged.slowRequests += s.slowRequests;
    for (const [cause, v] of Object.entries(s.byCause) as [StallCause, { episodes: number; requests: number }][]) {
      const entry = (merged.byCause[cause] ??= { episodes: 0, requests: 0 });
      entry.episodes += v.episodes;
      entry.requests += v.requests;
    }
  }
  return merged;
}

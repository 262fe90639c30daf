import { WindowResult } from './capacity-definition';

/** One request as the load generator saw it (wall-clock times in ms since the epoch). */
export interface RequestRecord {
  sentAtMs: number;
  latencyMs: number;
  code: number;
  /** The API replica that answered (x-replica), when an answer arrived. */
  replica: string | null;
}

/** "2026-11-29T19:34:17.596451069Z" → ms since the epoch, keeping the sub-millisecond digits. */
function isoToMs(timestamp: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) throw new Error(`not an RFC 3339 timestamp: ${timestamp}`);
  return Date.parse(`${match[1]}${match[3]}`) + Number(`0.${match[2] ?? '0'}`) * 1000;
}

/** Parses `vegeta encode --to json` output: one JSON object per line. */
export function parseVegetaJsonLines(text: string): RequestRecord[] {
  const records: RequestRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { timestamp: string; latency: number; code: number; headers?: Record<string, string[]> | null };
    const headers = r.headers ?? {};
    const replicaKey = Object.keys(headers).find((k) => k.toLowerCase() === 'x-replica');
    records.push({
      sentAtMs: isoToMs(r.timestamp),
      latencyMs: r.latency / 1e6,
      code: r.code,
      replica: replicaKey ? (headers[replicaKey][0] ?? null) : null,
    });
  }
  return records.sort((a, b) => a.sentAtMs - b.sentAtMs);
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const roundMs = (ms: number) => Math.round(ms * 100) / 100;
const accepted = (r: RequestRecord) => r.code === 202;

function latencyStats(records: RequestRecord[]) {
  const sorted = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  return {
    requests: records.length,
    p50Ms: roundMs(percentile(sorted, 50)),
    p90Ms: roundMs(percentile(sorted, 90)),
    p99Ms: roundMs(percentile(sorted, 99)),
    maxMs: roundMs(sorted[sorted.length - 1] ?? 0),
    errorRate: records.length === 0 ? 1 : records.filter((r) => !accepted(r)).length / records.length,
  };
}

export interface StepStats {
  requests: number;
  /** Rate the generator really sent (requests over the span of send times). */
  sentRate: number;
  /** Accepted answers per second from the first send to the last answer. */
  throughput: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errorRate: number;
  statusCodes: Record<string, number>;
  windows: WindowResult[];
}

/** The step's figures, with p99 and errors per window of `seconds / windows` by send time. */
export function stepStats(records: RequestRecord[], seconds: number, windows: number): StepStats {
  const statusCodes: Record<string, number> = {};
  for (const r of records) statusCodes[String(r.code)] = (statusCodes[String(r.code)] ?? 0) + 1;
  if (records.length === 0) {
    return { requests: 0, sentRate: 0, throughput: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, errorRate: 1, statusCodes, windows: [] };
  }
  const start = records[0].sentAtMs;
  const lastSent = records[records.length - 1].sentAtMs;
  const lastAnswer = Math.max(...records.map((r) => r.sentAtMs + r.latencyMs));
  const width = (seconds * 1000) / windows;
  const perWindow: RequestRecord[][] = Array.from({ length: windows }, () => []);
  for (const r of records) perWindow[Math.min(windows - 1, Math.floor((r.sentAtMs - start) / width))].push(r);
  const { requests, p50Ms, p90Ms, p99Ms, maxMs, errorRate } = latencyStats(records);
  return {
    requests,
    sentRate: records.length > 1 ? ((records.length - 1) * 1000) / (lastSent - start) : 0,
    throughput: lastAnswer > start ? (records.filter(accepted).length * 1000) / (lastAnswer - start) : 0,
    p50Ms,
    p90Ms,
    p99Ms,
    maxMs,
    errorRate,
    statusCodes,
    windows: perWindow.map((w) => {
      const s = latencyStats(w);
      return { requests: s.requests, p99Ms: s.p99Ms, errorRate: w.length === 0 ? 0 : s.errorRate };
    }),
  };
}

export const NO_ANSWER = 'no answer';

/** A burst of requests over the objective, close together in send time. */
export interface SlowEpisode {
  /** When the first slow request was sent and when the last slow answer arrived (epoch ms). */
  startMs: number;
  endMs: number;
  requests: number;
  maxLatencyMs: number;
  /** Slow requests per answering replica ("no answer" when none arrived). */
  replicas: Record<string, number>;
}

/**
 * Groups requests slower than `thresholdMs` into episodes: a stall delays every request sent
 * while it lasts, so slow requests less than `gapMs` apart in send time belong to one episode.
 */
export function slowEpisodes(records: RequestRecord[], thresholdMs: number, gapMs = 100): SlowEpisode[] {
  const episodes: SlowEpisode[] = [];
  let current: SlowEpisode | null = null;
  let lastSent = -Infinity;
  for (const r of records) {
    if (r.latencyMs <= thresholdMs && accepted(r)) continue;
    if (!current || r.sentAtMs - lastSent > gapMs) {
      current = { startMs: r.sentAtMs, endMs: r.sentAtMs, requests: 0, maxLatencyMs: 0, replicas: {} };
      episodes.push(current);
    }
    current.requests++;
    current.endMs = Math.max(current.endMs, r.sentAtMs + r.latencyMs);
    current.maxLatencyMs = roundMs(Math.max(current.maxLatencyMs, r.latencyMs));
    const replica = r.replica ?? NO_ANSWER;
    current.replicas[replica] = (current.replicas[replica] ?? 0) + 1;
    lastSent = r.sentAtMs;
  }
  return episodes;
}

export interface ObjectiveMisses {
  requests: number;
  /** Requests answered later than the objective, measured from their intended send time, or not accepted. */
  bad: number;
  errors: number;
  /** How far the generator fell behind its clock at worst (ms): the latency it would otherwise hide. */
  sendLagMaxMs: number;
}

/**
 * Requests that missed the objective at an offered `rate`. When the generator lags its schedule
 * (the i-th request meant for start + i/rate went out later), the wait is the service's as much as
 * the generator's, so latency counts from the intended send time (no coordinated omission).
 */
export function objectiveMisses(records: RequestRecord[], rate: number, objectiveMs: number): ObjectiveMisses {
  const start = records[0]?.sentAtMs ?? 0;
  let bad = 0;
  let errors = 0;
  let sendLagMaxMs = 0;
  records.forEach((r, i) => {
    const lag = Math.max(0, r.sentAtMs - (start + (i * 1000) / rate));
    sendLagMaxMs = Math.max(sendLagMaxMs, lag);
    if (!accepted(r)) errors++;
    if (!accepted(r) || r.latencyMs + lag > objectiveMs) bad++;
  });
  return { requests: records.length, bad, errors, sendLagMaxMs: roundMs(sendLagMaxMs) };
}

/** One sample of what fills over time, every SAMPLE_S seconds. */
export interface Sample {
  /** seconds since the load started */
  t: number;
  redisUsedBytes: number | null;
  kafkaLogBytes: number;
  /** records in Kafka not yet applied in Redis */
  lag: number | null;
  phase: string;
}

export interface Point {
  x: number;
  y: number;
}

/** Least-squares slope of y over x; null with fewer than 3 points or no spread in x. */
export function slope(points: readonly Point[]): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

/** Hours until `used` reaches `limit` at `perHour`; null when it does not grow (never). */
export function hoursToLimit(used: number, limit: number, perHour: number | null): number | null {
  if (perHour === null || perHour <= 0) return null;
  return Math.max(0, (limit - used) / perHour);
}

/**
 * How long a consumer may take to catch up after an absence: it must drain the backlog at least
 * four times as fast as it built up (else a longer outage never ends), with 30 s for rejoining the
 * group. Documented in docs and the soak report.
 */
export function catchUpBoundS(absenceS: number): number {
  return Math.max(30, absenceS / 4);
}

/** A growth that would reach a configured limit within this many hours fails the soak. */
export const LIMIT_HORIZON_H = 24;

export interface Verdict {
  ok: boolean;
  problems: string[];
}

export function verdict(input: {
  lost: number;
  duplicated: number;
  catchUpS: number | null;
  catchUpBoundS: number;
  hoursToRedisLimit: number | null;
  hoursToDiskLimit: number | null;
  notAudited: number;
}): Verdict {
  const problems: string[] = [];
  if (input.lost > 0) problems.push(`${input.lost} accepted ratings lost`);
  if (input.duplicated > 0) problems.push(`${input.duplicated} ratings counted twice`);
  if (input.notAudited > 0) problems.push(`${input.notAudited} subjects could not be read back`);
  if (input.catchUpS === null) problems.push('the consumers never caught up after their absence');
  else if (input.catchUpS > input.catchUpBoundS)
    problems.push(`catch-up took ${input.catchUpS} s, over the bound of ${input.catchUpBoundS} s`);
  if (input.hoursToRedisLimit !== null && input.hoursToRedisLimit < LIMIT_HORIZON_H)
    problems.push(`Redis would reach maxmemory in ${input.hoursToRedisLimit.toFixed(1)} h`);
  if (input.hoursToDiskLimit !== null && input.hoursToDiskLimit < LIMIT_HORIZON_H)
    problems.push(`the Kafka log would fill its volume in ${input.hoursToDiskLimit.toFixed(1)} h`);
  return { ok: problems.length === 0, problems };
}

/** Per subject: what the clients were told against what GET /rate shows after the drain. */
export interface SubjectAudit {
  acceptedCount: number;
  acceptedSum: number;
  /** requests answered with an error that may have been written anyway (a 503 after the append) */
  unsure: number;
  count: number;
  sum: number;
}

/**
 * Ratings lost (accepted, not counted) and duplicated (counted more often than sent) over subjects
 * shared by many requests: a subject's count below its 202s is a loss whatever the totals say; a
 * count above its 202s plus its unsure answers is a duplicate.
 */
export function auditSubjects(subjects: Iterable<SubjectAudit>): { lost: number; duplicated: number; sumMismatches: number } {
  let lost = 0;
  let duplicated = 0;
  let sumMismatches = 0;
  for (const s of subjects) {
    if (s.count < s.acceptedCount) lost += s.acceptedCount - s.count;
    else if (s.count > s.acceptedCount + s.unsure) duplicated += s.count - s.acceptedCount - s.unsure;
    else if (s.unsure === 0 && s.sum !== s.acceptedSum) sumMismatches++;
  }
  return { lost, duplicated, sumMismatches };
}

/** The absence lasts at least this long (shorter in a short run), at most this share of the run. */
const MIN_ABSENCE_S = 120;
const MAX_ABSENCE_SHARE = 0.35;

/** The soak's moments as shares of the run: the absence early, the Redis restart mid-way, the rolling change late. */
export function schedule(minutes: number) {
  const durationS = minutes * 60;
  return {
    durationS,
    absenceAtS: Math.round(0.1 * durationS),
    minAbsenceS: Math.round(Math.min(MIN_ABSENCE_S, 0.2 * durationS)),
    maxAbsenceS: Math.round(MAX_ABSENCE_SHARE * durationS),
    redisRestartAtS: Math.round(0.55 * durationS),
    rollingAtS: Math.round(0.75 * durationS),
  };
}

export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export function mb(bytes: number | null): string {
  return bytes === null ? '?' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

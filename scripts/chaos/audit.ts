import { Attempt, FaultRow, RequestRecord } from './chaos-types';

export const accepted = (record: RequestRecord): boolean => record.attempts.some((a) => a.status === 202);

export interface AuditCounts {
  /** count of each subject in GET /rate after the drain */
  counts: ReadonlyMap<string, number>;
  /** subjects of accepted ratings not visible when the phase's catch-up deadline passed */
  missingAtDeadline?: ReadonlySet<string>;
}

export interface Classified {
  requests: number;
  accepted: number;
  failed: number;
  lost: string[];
  duplicated: string[];
  writtenDespiteError: string[];
}

/**
 * Every answer judged on its own: an accepted rating must be counted exactly once (0 = lost,
 * more = duplicated, whatever the totals say); a rating never accepted should be counted 0 times
 * (1 = written although the client was told it failed, which a client retry with its
 * Idempotency-Key must make harmless; more = duplicated).
 */
export function classify(records: readonly RequestRecord[], audit: AuditCounts): Classified {
  const result: Classified = { requests: records.length, accepted: 0, failed: 0, lost: [], duplicated: [], writtenDespiteError: [] };
  for (const record of records) {
    const count = audit.counts.get(record.subject);
    if (count === undefined) throw new Error(`no audit count for ${record.subject}`);
    if (accepted(record)) {
      result.accepted++;
      if (count === 0 || audit.missingAtDeadline?.has(record.subject)) result.lost.push(record.subject);
      else if (count > 1) result.duplicated.push(record.subject);
    } else {
      result.failed++;
      if (count === 1) result.writtenDespiteError.push(record.subject);
      else if (count > 1) result.duplicated.push(record.subject);
    }
  }
  return result;
}

/** Failed attempts by status: "503", "502", "0" (no answer). */
export function failuresByStatus(records: readonly RequestRecord[]): Record<string, number> {
  const byStatus: Record<string, number> = {};
  for (const record of records) {
    if (accepted(record)) continue;
    const last = record.attempts[record.attempts.length - 1];
    const key = last.status === 0 ? `no answer (${last.error ?? 'error'})` : String(last.status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  return byStatus;
}

/**
 * Seconds from the fault's start until the API accepted again for good: the send time of the
 * first 202 after the last failed attempt. 0 when nothing failed after the fault started; null
 * when the last attempts still failed (never recovered while the load ran).
 */
export function apiRecoverySeconds(records: readonly RequestRecord[], faultStart: number): number | null {
  const attempts: Attempt[] = records.flatMap((r) => r.attempts).filter((a) => a.sentAt >= faultStart);
  let lastFailure = -Infinity;
  for (const a of attempts) if (a.status !== 202 && a.sentAt > lastFailure) lastFailure = a.sentAt;
  if (lastFailure === -Infinity) return 0;
  let recovered = Infinity;
  for (const a of attempts) if (a.status === 202 && a.sentAt > lastFailure && a.sentAt < recovered) recovered = a.sentAt;
  return recovered === Infinity ? null : round1((recovered - faultStart) / 1000);
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function faultRow(name: string, classified: Classified, apiRecoveryS: number | null, catchUpS: number | null): FaultRow {
  return {
    name,
    requests: classified.requests,
    accepted: classified.accepted,
    failed: classified.failed,
    lost: classified.lost.length,
    duplicated: classified.duplicated.length,
    written_despite_error: classified.writtenDespiteError.length,
    api_recovery_s: apiRecoveryS,
    consumer_catch_up_s: catchUpS,
  };
}

/** The run fails when any rating was lost or counted twice, or a zero-failure fault failed a request. */
export function rowProblems(row: FaultRow, zeroFailures: boolean): string[] {
  const problems: string[] = [];
  if (row.lost > 0) problems.push(`${row.lost} lost`);
  if (row.duplicated > 0) problems.push(`${row.duplicated} duplicated`);
  if (zeroFailures && row.failed > 0) problems.push(`${row.failed} failed (must be 0)`);
  return problems;
}

/**
 * Whether the stack already struggled before the fault (on a machine shared with other work, or a
 * rate above its capacity): then failures during the fault are not the fault's alone. Returns a
 * note for the report, or null when the warm-up was healthy (every answer 202, median < 1 s).
 */
export function warmupProblem(warmup: readonly Attempt[]): string | null {
  if (warmup.length === 0) return 'no answer at all during the warm-up: the stack was saturated before the fault';
  const latencies = warmup.map((a) => a.answeredAt - a.sentAt).sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)];
  const failed = warmup.filter((a) => a.status !== 202).length;
  if (failed === 0 && median < 1000) return null;
  return `the stack was saturated before the fault: warm-up median latency ${(median / 1000).toFixed(2)} s, ${failed} of ${warmup.length} answers not 202 — failures in this row are not the fault's alone`;
}

/** A span in which an acknowledged rating may be destroyed by the fault itself (a deleted topic). */
export interface DestroyWindow {
  from: number;
  to: number;
  why: string;
}

/**
 * Takes out of `lost` the ratings acknowledged inside the window — a 202 answered after `from`
 * for a request sent before `to` — and returns them apart: the fault destroyed them (deleting a
 * topic deletes what it holds), the product could not count them. A loss outside it stays a loss.
 */
export function excuseDestroyed(
  classified: Classified,
  records: readonly RequestRecord[],
  window: DestroyWindow | null,
): { classified: Classified; destroyed: string[] } {
  if (window === null) return { classified, destroyed: [] };
  const inWindow = new Set(
    records
      .filter((r) => r.attempts.some((a) => a.status === 202 && a.answeredAt >= window.from && a.sentAt <= window.to))
      .map((r) => r.subject),
  );
  const destroyed = classified.lost.filter((s) => inWindow.has(s));
  return { classified: { ...classified, lost: classified.lost.filter((s) => !inWindow.has(s)) }, destroyed };
}
